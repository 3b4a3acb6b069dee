import { Kysely, PostgresDialect, sql } from "kysely";
import { KyselyStore } from "./kysely-store.js";
import { migrateToLatest } from "./migrations/index.js";
import type { Database } from "./schema.js";
import type { Store } from "./store.js";
import type { Backend } from "./backend.js";
import { PostgresChangeFeed } from "./postgres-changes.js";
import { createPostgresPool, parsePostgresUrl } from "./postgres-connection.js";

/**
 * Opens a PostgreSQL store with its LISTEN/NOTIFY change feed, creating the schema and applying
 * migrations (safe when instances start together).
 */
export async function openPostgresBackend(databaseUrl: string, onError: (error: unknown) => void): Promise<Backend> {
  const connection = parsePostgresUrl(databaseUrl);
  const store = await openPostgresStore(databaseUrl);
  try {
    return { store, changes: await PostgresChangeFeed.start(connection, onError) };
  } catch (error) {
    await store.close();
    throw error;
  }
}

/** Opens a PostgreSQL store, creating its schema and applying migrations (safe when instances start together). */
export async function openPostgresStore(databaseUrl: string): Promise<Store> {
  const connection = parsePostgresUrl(databaseUrl);
  const pool = createPostgresPool(connection, "keyhold");
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  try {
    await sql`CREATE SCHEMA IF NOT EXISTS ${sql.id(connection.schema)}`.execute(db).catch((error: unknown) => {
      // Two instances creating the schema at once: one of them loses the race harmlessly.
      if ((error as { code?: string }).code !== "23505" && (error as { code?: string }).code !== "42P06") throw error;
    });
    await migrateToLatest(db as Kysely<unknown>, connection.schema);
  } catch (error) {
    await db.destroy();
    throw error;
  }
  return new KyselyStore(db, () => db.destroy());
}
