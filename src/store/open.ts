import { join } from "node:path";
import type { Backend } from "./backend.js";
import { openPostgresBackend, openPostgresStore } from "./postgres.js";
import { openSqliteBackend, openSqliteStore } from "./sqlite.js";
import type { Store } from "./store.js";

export const DEFAULT_SQLITE_FILE = "keyhold.sqlite";

/**
 * Opens the backend a database URL names: `postgres://…` (optionally `?schema=name`) for
 * PostgreSQL, `sqlite:<path>` (or a bare path) for the embedded store; with no URL, the SQLite
 * file in the data directory.
 */
export async function openBackend(databaseUrl: string | undefined, dataDir: string, onError: (error: unknown) => void): Promise<Backend> {
  if (databaseUrl === undefined || databaseUrl === "") return openSqliteBackend(join(dataDir, DEFAULT_SQLITE_FILE));
  if (isPostgresUrl(databaseUrl)) return openPostgresBackend(databaseUrl, onError);
  return openSqliteBackend(sqlitePath(databaseUrl));
}

export function isPostgresUrl(databaseUrl: string | undefined): boolean {
  return databaseUrl !== undefined && /^postgres(ql)?:\/\//i.test(databaseUrl);
}

export function sqlitePath(databaseUrl: string): string {
  return databaseUrl.replace(/^sqlite:(\/\/)?/i, "");
}

/** Just the store a URL or SQLite path names, without a change feed (for one-off copies). */
export async function openStoreAt(location: string): Promise<Store> {
  return isPostgresUrl(location) ? openPostgresStore(location) : openSqliteStore(sqlitePath(location));
}
