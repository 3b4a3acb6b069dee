import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openSqliteStore } from "../../src/store/sqlite.js";
import { startServer } from "../server-process.js";

// The attack: any local user reads the SQLite file (password hashes, token digests, sealed
// access hashes, audit log). SQLite creates it 0644 under the usual umask; Keyhold must create
// it, its -wal and -shm companions and the data directory for its owner only.

const mode = (path: string): string => (statSync(path).mode & 0o777).toString(8);

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "keyhold-store-files-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("the SQLite store is readable by its owner only", { timeout: 30_000 }, () => {
  it("keyhold serve creates the data directory 0700 and the database, -wal and -shm 0600", async () => {
    const dataDir = join(dir, "new", "data");
    const server = await startServer(["--data-dir", dataDir, "--log-level", "error"], { KEYHOLD_ROOT_PASSWORD: "root-password-1" });
    try {
      const database = join(dataDir, "keyhold.sqlite");
      // The server holds the store open, so the WAL companions exist now.
      for (const path of [database, `${database}-wal`, `${database}-shm`]) {
        expect(existsSync(path), path).toBe(true);
        expect(mode(path), path).toBe("600");
      }
      expect(mode(dataDir)).toBe("700");
      expect(mode(join(dir, "new"))).toBe("700");
      expect(mode(join(dataDir, "keyhold.key"))).toBe("600");
    } finally {
      await server.stop();
    }
  });

  it("keeps 0600 even when the process runs with a permissive umask", async () => {
    const previous = process.umask(0o000);
    try {
      const database = join(dir, "open", "keyhold.sqlite");
      const store = await openSqliteStore(database);
      try {
        await store.putSetting("allow_deprecated_accesshash", "1", Date.now());
        for (const path of [database, `${database}-wal`, `${database}-shm`]) expect(mode(path), path).toBe("600");
        expect(mode(join(dir, "open"))).toBe("700");
      } finally {
        await store.close();
      }
    } finally {
      process.umask(previous);
    }
  });
});
