import { join, resolve } from "node:path";
import type { Backend, OpenStoreOptions } from "./backend.js";
import { redactUrl } from "./postgres-connection.js";
import { openPostgresBackend, openPostgresStore } from "./postgres.js";
import { openSqliteBackend, openSqliteStore } from "./sqlite.js";
import type { Store } from "../core/storage/store.js";

export const DEFAULT_SQLITE_FILE = "keyhold.sqlite";

/**
 * Opens the backend a database URL names: `postgres://…` (optionally `?schema=name`) for
 * PostgreSQL, `sqlite:<path>` (or a bare path) for the embedded store; with no URL, the SQLite
 * file in the data directory.
 */
export async function openBackend(databaseUrl: string | undefined, dataDir: string, onError: (error: unknown) => void, options: OpenStoreOptions = {}): Promise<Backend> {
  if (isPostgresUrl(databaseUrl)) return openPostgresBackend(databaseUrl!, onError, options);
  return openSqliteBackend(sqliteFile(databaseUrl, dataDir), options);
}

/** The store a URL (or the data directory) names, as it may be shown: an absolute SQLite path, or the URL without its password. */
export function describeStore(databaseUrl: string | undefined, dataDir: string): string {
  if (isPostgresUrl(databaseUrl)) return redactUrl(databaseUrl!);
  const file = sqliteFile(databaseUrl, dataDir);
  return file === ":memory:" ? "sqlite::memory:" : `sqlite:${resolve(file)}`;
}

function sqliteFile(databaseUrl: string | undefined, dataDir: string): string {
  return databaseUrl === undefined || databaseUrl === "" ? join(dataDir, DEFAULT_SQLITE_FILE) : sqlitePath(databaseUrl);
}

export function isPostgresUrl(databaseUrl: string | undefined): boolean {
  return databaseUrl !== undefined && /^postgres(ql)?:\/\//i.test(databaseUrl);
}

export function sqlitePath(databaseUrl: string): string {
  return databaseUrl.replace(/^sqlite:(\/\/)?/i, "");
}

/** Just the store a URL or SQLite path names, without a change feed (for one-off copies). */
export async function openStoreAt(location: string, options: OpenStoreOptions = {}): Promise<Store> {
  return isPostgresUrl(location) ? openPostgresStore(location, options) : openSqliteStore(sqlitePath(location), options);
}
