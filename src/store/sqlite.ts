import SQLite from "better-sqlite3";
import { Kysely, SqliteDialect } from "kysely";
import { closeSync, existsSync, mkdirSync, openSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { LocalChangeFeed } from "../core/changes.js";
import { KyselyStore } from "./kysely-store.js";
import { migrateToLatest } from "./migrations/index.js";
import type { Database } from "./schema.js";
import type { Store } from "../core/storage/store.js";
import { StoreMissingError, type Backend, type OpenStoreOptions } from "./backend.js";

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

/**
 * Opens an SQLite store with its change feed, creating it if `create` (the default) allows;
 * `:memory:` gives a private in-memory one.
 */
export async function openSqliteBackend(path: string, options: OpenStoreOptions = {}): Promise<Backend> {
  const create = options.create ?? true;
  if (path !== ":memory:") {
    if (create) createPrivateFile(path);
    else if (!existsSync(path)) throw missingStore(path);
  }
  const database = new SQLite(path, { fileMustExist: !create && path !== ":memory:" });
  // WAL lets readers (CLI listings) run while the server writes; NORMAL sync is durable across
  // process crashes, which is the failure that matters for a single-host service.
  database.pragma("journal_mode = WAL");
  database.pragma("synchronous = NORMAL");
  database.pragma("foreign_keys = ON");
  database.pragma("busy_timeout = 5000");
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database }) });
  try {
    // Kysely neither locks nor wraps migrations in a transaction on SQLite, so two processes
    // starting on one new file would both create the tables and one would fail halfway. Holding
    // the write lock (waiting up to busy_timeout for another process's) makes them one at a
    // time, and all-or-nothing: Kysely runs them on this same connection, inside it.
    database.exec("BEGIN IMMEDIATE");
    try {
      await migrateToLatest(db as Kysely<unknown>);
      database.exec("COMMIT");
    } catch (error) {
      if (database.inTransaction) database.exec("ROLLBACK");
      throw error;
    }
  } catch (error) {
    await db.destroy();
    throw error;
  }
  return { store: new KyselyStore(db, () => db.destroy()), changes: path === ":memory:" ? new LocalChangeFeed() : new SqliteChangeFeed(database) };
}

export async function openSqliteStore(path: string, options: OpenStoreOptions = {}): Promise<Store> {
  const backend = await openSqliteBackend(path, options);
  await backend.changes.close();
  return backend.store;
}

/**
 * The database holds password hashes, token digests and sealed access hashes: only its owner
 * may read it. SQLite gives its -wal and -shm files the mode of the database file, so creating
 * that one 0600 (before SQLite would create it 0644) covers all three.
 */
function createPrivateFile(path: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  try {
    closeSync(openSync(path, "wx", 0o600));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  }
}

function missingStore(path: string): StoreMissingError {
  return new StoreMissingError(
    `No Keyhold store at sqlite:${resolve(path)}. Create one by running \`keyhold serve\` once, or name the existing store with --data-dir (or --database).`,
  );
}
