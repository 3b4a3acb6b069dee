import { join } from "node:path";
import { openSqliteStore } from "./sqlite.js";
import type { Store } from "./store.js";

export const DEFAULT_SQLITE_FILE = "keyhold.sqlite";

/**
 * Opens the store a database URL names: `sqlite:<path>` (or a bare path) for the embedded
 * store; with no URL, the SQLite file in the data directory.
 */
export async function openStore(databaseUrl: string | undefined, dataDir: string): Promise<Store> {
  if (databaseUrl === undefined || databaseUrl === "") return openSqliteStore(join(dataDir, DEFAULT_SQLITE_FILE));
  if (/^postgres(ql)?:\/\//i.test(databaseUrl)) {
    throw new Error("PostgreSQL stores are not available in this version; use SQLite (the default).");
  }
  const path = databaseUrl.replace(/^sqlite:(\/\/)?/i, "");
  return openSqliteStore(path);
}
