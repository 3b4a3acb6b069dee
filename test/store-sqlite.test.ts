import SQLite from "better-sqlite3";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { newId } from "../src/core/ids.js";
import { openSqliteStore } from "../src/store/sqlite.js";
import { runStoreContract } from "./store-contract.js";

runStoreContract("in-memory SQLite", () => openSqliteStore(":memory:"));

// Every test of this run opens the same file: the contract must hold on a store that already
// holds other tests' records, and reopening must keep working.
const sharedDir = mkdtempSync(join(tmpdir(), "keyhold-store-contract-"));
afterAll(() => rmSync(sharedDir, { recursive: true, force: true }));
runStoreContract("file-backed SQLite", () => openSqliteStore(join(sharedDir, "keyhold.sqlite")));

describe("a file-backed SQLite store survives closing and reopening", () => {
  const dir = mkdtempSync(join(tmpdir(), "keyhold-store-reopen-"));
  const path = join(dir, "nested", "keyhold.sqlite");
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function migrationRows(): { name: string }[] {
    const db = new SQLite(path, { readonly: true });
    try {
      return db.prepare("SELECT name FROM keyhold_migrations ORDER BY name").all() as { name: string }[];
    } finally {
      db.close();
    }
  }

  it("keeps its records after a reopen, and reopening applies no migration twice", async () => {
    const now = Date.UTC(2026, 0, 1);
    const accountId = newId("acct", now);
    const first = await openSqliteStore(path);
    await first.insertAccount({ id: accountId, username: "alice", role: "reseller", owner: "root", domain: "alice.example.com", acls: ["all"], passwordHash: null, createdAt: now });
    await first.insertApiToken({
      id: newId("tok", now),
      accountId,
      name: "kept",
      digest: "ab".repeat(64),
      acls: ["list-accts"],
      whitelistIps: null,
      expiresAt: null,
      createdAt: now,
      lastUsedAt: null,
      lastUsedIp: null,
      origin: "created",
    });
    await first.putSetting("allow_deprecated_accesshash", "1", now);
    await first.close();
    const applied = migrationRows();
    expect(applied.length).toBeGreaterThan(0);

    for (let round = 0; round < 2; round++) {
      const reopened = await openSqliteStore(path);
      try {
        expect(await reopened.getAccountByUsername("alice")).toMatchObject({ id: accountId, acls: ["all"], domain: "alice.example.com" });
        expect(await reopened.getApiTokenByName(accountId, "kept")).toMatchObject({ digest: "ab".repeat(64), acls: ["list-accts"] });
        expect((await reopened.getSettings()).get("allow_deprecated_accesshash")).toBe("1");
        expect(await reopened.counts()).toMatchObject({ accounts: 1, resellers: 1, apiTokens: 1 });
      } finally {
        await reopened.close();
      }
      expect(migrationRows()).toEqual(applied);
    }
    expect(new Set(applied.map((row) => row.name)).size).toBe(applied.length);
  });

  it("gives each in-memory store its own private database", async () => {
    const a = await openSqliteStore(":memory:");
    const b = await openSqliteStore(":memory:");
    try {
      const now = Date.UTC(2026, 0, 1);
      await a.insertAccount({ id: newId("acct", now), username: "alice", role: "user", owner: "root", domain: null, acls: [], passwordHash: null, createdAt: now });
      expect(await a.getAccountByUsername("alice")).not.toBeNull();
      expect(await b.getAccountByUsername("alice")).toBeNull();
    } finally {
      await a.close();
      await b.close();
    }
  });
});

describe("erasing a private SQLite store", () => {
  it("leaves it empty once committed, and usable", async () => {
    const store = await openSqliteStore(":memory:");
    try {
      const now = Date.UTC(2026, 0, 1);
      await store.insertAccount({ id: newId("acct", now), username: "alice", role: "reseller", owner: "root", domain: null, acls: [], passwordHash: null, createdAt: now });
      await store.putSetting("allow_deprecated_accesshash", "1", now);
      await store.transaction((tx) => tx.eraseAllData());
      expect(await store.counts()).toEqual({ accounts: 0, resellers: 0, apiTokens: 0, accessHashes: 0, ipAccessHashes: 0 });
      expect((await store.getSettings()).size).toBe(0);
      await store.insertAccount({ id: newId("acct", now), username: "alice", role: "user", owner: "root", domain: null, acls: [], passwordHash: null, createdAt: now });
      expect(await store.getAccountByUsername("alice")).toMatchObject({ role: "user" });
    } finally {
      await store.close();
    }
  });
});
