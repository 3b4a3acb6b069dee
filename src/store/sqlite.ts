import SQLite from "better-sqlite3";
import { Kysely, SqliteDialect } from "kysely";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { LocalChangeFeed } from "../core/changes.js";
import { KyselyStore } from "./kysely-store.js";
import { migrateToLatest } from "./migrations/index.js";
import type { Database } from "./schema.js";
import type { Store } from "./store.js";
import type { Backend } from "./backend.js";

const EXTERNAL_CHANGE_CHECK_MS = 500;

/**
 * Announces commits made by other processes on the same SQLite file (the CLI revoking a token
 * while the server runs): SQLite's `data_version` changes exactly then, and reading it is a
 * local call, not a query over a network.
 */
class SqliteChangeFeed extends LocalChangeFeed {
  private readonly timer: NodeJS.Timeout;
  private lastVersion: number;

  constructor(private readonly database: SQLite.Database) {
    super();
    this.lastVersion = this.dataVersion();
    this.timer = setInterval(() => this.checkExternalChanges(), EXTERNAL_CHANGE_CHECK_MS);
    this.timer.unref();
  }

  private dataVersion(): number {
    return this.database.pragma("data_version", { simple: true }) as number;
  }

  private checkExternalChanges(): void {
    if (!this.database.open) return;
    const version = this.dataVersion();
    if (version === this.lastVersion) return;
    this.lastVersion = version;
    this.deliver({ kind: "resync" });
  }

  override async close(): Promise<void> {
    clearInterval(this.timer);
    await super.close();
  }
}

/** Opens (creating if needed) an SQLite store with its change feed; `:memory:` gives a private in-memory one. */
export async function openSqliteBackend(path: string): Promise<Backend> {
  if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const database = new SQLite(path);
  // WAL lets readers (CLI listings) run while the server writes; NORMAL sync is durable across
  // process crashes, which is the failure that matters for a single-host service.
  database.pragma("journal_mode = WAL");
  database.pragma("synchronous = NORMAL");
  database.pragma("foreign_keys = ON");
  database.pragma("busy_timeout = 5000");
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database }) });
  try {
    await migrateToLatest(db as Kysely<unknown>);
  } catch (error) {
    await db.destroy();
    throw error;
  }
  return { store: new KyselyStore(db, () => db.destroy()), changes: path === ":memory:" ? new LocalChangeFeed() : new SqliteChangeFeed(database) };
}

export async function openSqliteStore(path: string): Promise<Store> {
  const backend = await openSqliteBackend(path);
  await backend.changes.close();
  return backend.store;
}
