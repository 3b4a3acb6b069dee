import SQLite from "better-sqlite3";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI_ACTOR } from "../src/core/actor.js";
import { createKeyhold, type Keyhold } from "../src/core/keyhold.js";
import { loadOrCreateKeyFile, SecretBox } from "../src/core/secret-box.js";
import { buildServer } from "../src/http/server.js";
import { openSqliteStore } from "../src/store/sqlite.js";
import { TEST_HTTP, basicHeader } from "./harness.js";

async function openAt(databasePath: string, keyFile: string): Promise<Keyhold> {
  return createKeyhold({ store: await openSqliteStore(databasePath), secretBox: new SecretBox(loadOrCreateKeyFile(keyFile).key) });
}

/** Every 32-character line of the hash: finding any of them would leak part of it. */
function fragments(hash: string): string[] {
  return hash.match(/.{32}/g) ?? [];
}

describe("an access hash is encrypted at rest", () => {
  const dir = mkdtempSync(join(tmpdir(), "keyhold-at-rest-"));
  const databasePath = join(dir, "keyhold.sqlite");
  const keyFile = join(dir, "keyhold.key");

  function sealedValues(): string[] {
    const db = new SQLite(databasePath, { readonly: true });
    try {
      return (db.prepare("SELECT sealed FROM access_hashes").all() as { sealed: string }[]).map((row) => row.sealed);
    } finally {
      db.close();
    }
  }
  let accesshash: string;
  let resellerHash: string;

  beforeAll(async () => {
    const keyhold = await openAt(databasePath, keyFile);
    try {
      await keyhold.accounts.ensureRoot("root-password-1");
      await keyhold.accounts.create(CLI_ACTOR, { username: "bob", password: "bob-password-1", domain: "bob.example.com", reseller: true });
      accesshash = (await keyhold.accessHashes.generate(CLI_ACTOR, "root")).accesshash;
      resellerHash = (await keyhold.accessHashes.generate(CLI_ACTOR, "bob")).accesshash;
    } finally {
      await keyhold.close();
    }
    expect(accesshash).toMatch(/^[0-9a-f]{960}$/);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("leaves no trace of the hash in the database files", () => {
    const files = [databasePath, `${databasePath}-wal`, `${databasePath}-shm`].filter((path) => existsSync(path));
    expect(files).toContain(databasePath);
    // The scan must see the rows at all: the sealed form of each hash is in these bytes.
    const all = Buffer.concat(files.map((path) => readFileSync(path)));
    for (const sealed of sealedValues()) expect(all.includes(Buffer.from(sealed, "latin1"))).toBe(true);
    for (const path of files) {
      const bytes = readFileSync(path);
      for (const secret of [accesshash, resellerHash]) {
        for (const fragment of fragments(secret)) {
          expect(bytes.includes(Buffer.from(fragment, "latin1")), `${path} holds part of the hash`).toBe(false);
          expect(bytes.includes(Buffer.from(fragment, "hex")), `${path} holds part of the hash as bytes`).toBe(false);
        }
      }
    }
  });

  it("stores neither the hash nor an unkeyed digest of it in any access_hashes row", () => {
    const db = new SQLite(databasePath, { readonly: true });
    let rows: Record<string, unknown>[];
    try {
      rows = db.prepare("SELECT * FROM access_hashes").all() as Record<string, unknown>[];
    } finally {
      db.close();
    }
    expect(rows).toHaveLength(2);
    const unkeyed = (secret: string) => ["sha1", "sha256", "sha512", "md5"].map((algorithm) => createHash(algorithm).update(secret).digest("hex"));
    for (const row of rows) {
      const text = JSON.stringify(row);
      for (const secret of [accesshash, resellerHash]) {
        for (const fragment of fragments(secret)) expect(text).not.toContain(fragment);
        for (const digest of unkeyed(secret)) expect(text).not.toContain(digest);
      }
    }
  });

  it("keeps the hash out of the key file", () => {
    const key = readFileSync(keyFile);
    for (const secret of [accesshash, resellerHash]) {
      for (const fragment of fragments(secret)) expect(key.includes(Buffer.from(fragment, "latin1"))).toBe(false);
    }
  });

  it("reads the hash back with the right key file", async () => {
    const keyhold = await openAt(databasePath, keyFile);
    try {
      const view = await keyhold.accessHashes.read(CLI_ACTOR, "root");
      expect(view.accesshash).toBe(accesshash);
      expect(view.signature.replace(/:/g, "")).toBe(accesshash.slice(0, 32));
      expect((await keyhold.accessHashes.read(CLI_ACTOR, "bob")).accesshash).toBe(resellerHash);
    } finally {
      await keyhold.close();
    }
  });

  it("cannot read the hash back with another key file", async () => {
    const keyhold = await openAt(databasePath, join(dir, "other.key"));
    try {
      await expect(keyhold.accessHashes.read(CLI_ACTOR, "root")).rejects.toThrow("There was a problem loading the accesshash.");
      // WHM's answer for it: HTTP 200, result 0 and its reason, not a server error.
      await keyhold.settings.set(CLI_ACTOR, "allow_deprecated_accesshash", "1");
      const app = buildServer(keyhold, TEST_HTTP);
      try {
        const password = "root-password-9";
        await keyhold.accounts.setPassword(CLI_ACTOR, "root", password);
        const response = await app.inject({ method: "GET", url: "/json-api/accesshash?api.version=1", headers: { authorization: basicHeader("root", password) } });
        expect(response.statusCode).toBe(200);
        expect(response.json().metadata).toMatchObject({ command: "accesshash", result: 0, reason: "There was a problem loading the accesshash." });
      } finally {
        await app.close();
      }
    } finally {
      await keyhold.close();
    }
  });
});
