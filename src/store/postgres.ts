import { Kysely, PostgresDialect, sql } from "kysely";
import { KyselyStore } from "./kysely-store.js";
import { migrateToLatest } from "./migrations/index.js";
import type { Database } from "./schema.js";
import type { Store } from "../core/storage/store.js";
import { StoreMissingError, type Backend, type OpenStoreOptions } from "./backend.js";
import { PostgresChangeFeed } from "./postgres-changes.js";
import { createPostgresPool, parsePostgresUrl, redactUrl } from "./postgres-connection.js";

/**
 * Opens a PostgreSQL store with its LISTEN/NOTIFY change feed, creating the schema and applying
 * migrations (safe when instances start together).
 */
export async function openPostgresBackend(databaseUrl: string, onError: (error: unknown) => void, options: OpenStoreOptions = {}): Promise<Backend> {
  const connection = parsePostgresUrl(databaseUrl);
  const store = await openPostgresStore(databaseUrl, options);
  try {
    return { store, changes: await PostgresChangeFeed.start(connection, onError) };
  } catch (error) {
    await store.close();
    throw error;
  }
}

/**
 * Opens a PostgreSQL store, creating its schema if `create` (the default) allows, and applying
 * migrations (safe when instances start together).
 */
export async function openPostgresStore(databaseUrl: string, options: OpenStoreOptions = {}): Promise<Store> {
  const connection = parsePostgresUrl(databaseUrl);
  const pool = createPostgresPool(connection, "keyhold");
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  try {
    if (options.create === false) {
      // The migrations table is what every Keyhold store has from its first start on.
      const { rows } = await sql<{ present: boolean }>`SELECT to_regclass(${`"${connection.schema}".keyhold_migrations`}) IS NOT NULL AS present`.execute(db);
      if (rows[0]?.present !== true) {
        throw new StoreMissingError(
          `No Keyhold store at ${redactUrl(databaseUrl)} (schema "${connection.schema}" has no Keyhold tables). Create one by running \`keyhold serve --database …\` once, or name the existing store with --database.`,
        );
      }
    } else {
      await sql`CREATE SCHEMA IF NOT EXISTS ${sql.id(connection.schema)}`.execute(db).catch((error: unknown) => {
        // Two instances creating the schema at once: one of them loses the race harmlessly.
        if ((error as { code?: string }).code !== "23505" && (error as { code?: string }).code !== "42P06") throw error;
      });
    }
    await migrateToLatest(db as Kysely<unknown>, connection.schema);
  } catch (error) {
    await db.destroy();
    throw error;
  }
  return new KyselyStore(db, () => db.destroy(), { postgres: true });
}
