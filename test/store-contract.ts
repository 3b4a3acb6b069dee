import { randomBytes } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AuditChainHasher } from "../src/core/audit-chain.js";
import { newId } from "../src/core/ids.js";
import { DuplicateRecordError } from "../src/core/storage/errors.js";
import type { WhmAccessHashRecord, ApiTokenRecord, AuditRecord, IpAccessHashRecord, NewAccount, SessionRecord } from "../src/core/storage/records.js";
import type { Store } from "../src/core/storage/store.js";

/**
 * The behaviour every Store backend must show. Backend-neutral on purpose: a backend may hand
 * every test the same database (PostgreSQL does), so each test makes its own uniquely named
 * records and never assumes the store is empty — counts are compared as differences, listings
 * are filtered to the records the test made.
 */
export function runStoreContract(name: string, open: () => Promise<Store>): void {
  describe(`a ${name} store keeps Keyhold's records by the Store contract`, () => {
    let store: Store;
    // One base time per test run, far from 0 and below 2^53, so BIGINT columns round-trip exactly.
    const T0 = Date.UTC(2026, 10, 22, 12, 0, 0);

    beforeEach(async () => {
      store = await open();
    });
    afterEach(async () => {
      await store.close();
    });

    /** A fresh, valid, unique username (cPanel rules: lowercase letter first, ≤ 16 characters). */
    function uniqueName(prefix = "u"): string {
      return `${prefix}${randomBytes(6).toString("hex")}`.slice(0, 16);
    }

    function newAccount(overrides: Partial<NewAccount> = {}): NewAccount {
      const username = overrides.username ?? uniqueName();
      return {
        id: newId("acct", T0),
        username,
        role: "reseller",
        owner: "root",
        domain: `${username}.example.com`,
        acls: ["list-accts", "manage-api-tokens"],
        passwordHash: "$scrypt$ln=15,r=8,p=1$c2FsdA==$a2V5",
        createdAt: T0,
        ...overrides,
      };
    }

    async function addAccount(overrides: Partial<NewAccount> = {}): Promise<NewAccount> {
      const account = newAccount(overrides);
      await store.insertAccount(account);
      return account;
    }

    function digest128(): string {
      return randomBytes(64).toString("hex");
    }

    function newToken(accountId: string, overrides: Partial<ApiTokenRecord> = {}): ApiTokenRecord {
      return {
        id: newId("tok", T0),
        accountId,
        name: `token_${randomBytes(4).toString("hex")}`,
        digest: digest128(),
        acls: null,
        whitelistIps: null,
        expiresAt: null,
        createdAt: T0,
        lastUsedAt: null,
        lastUsedIp: null,
        origin: "created",
        ...overrides,
      };
    }

    function newAccessHash(accountId: string, overrides: Partial<WhmAccessHashRecord> = {}): WhmAccessHashRecord {
      return {
        accountId,
        digest: randomBytes(32).toString("hex"),
        sealed: `v1:${randomBytes(48).toString("base64")}`,
        createdAt: T0,
        lastUsedAt: null,
        lastUsedIp: null,
        ...overrides,
      };
    }

    function newSession(accountId: string, overrides: Partial<SessionRecord> = {}): SessionRecord {
      return {
        id: newId("sess", T0),
        digest: randomBytes(32).toString("hex"),
        accountId,
        securityToken: `cpsess${String(Math.floor(Math.random() * 1e10)).padStart(10, "0")}`,
        createdAt: T0,
        expiresAt: T0 + 3_600_000,
        ip: "192.0.2.10",
        ...overrides,
      };
    }

    function newIpAccessHash(accountId: string, at: number, overrides: Partial<IpAccessHashRecord> = {}): IpAccessHashRecord {
      return {
        id: newId("iah", at),
        accountId,
        name: `hash-${randomBytes(3).toString("hex")}`,
        ip: "192.0.2.0/24",
        digest: randomBytes(32).toString("hex"),
        prefix: "abcd1234",
        createdAt: at,
        expiresAt: null,
        lastUsedAt: null,
        lastUsedIp: null,
        ...overrides,
      };
    }

    function newAudit(at: number, overrides: Partial<AuditRecord> = {}): AuditRecord {
      return {
        id: newId("aud", at),
        at,
        actor: "root",
        ip: "127.0.0.1",
        action: "account.create",
        target: "someone",
        outcome: "success",
        detail: {},
        ...overrides,
      };
    }

    describe("accounts", () => {
      it("stores an account and finds it by username and by id", async () => {
        const account = await addAccount();
        const byName = await store.getAccountByUsername(account.username);
        expect(byName).toEqual({
          id: account.id,
          username: account.username,
          role: "reseller",
          owner: "root",
          domain: account.domain,
          acls: ["list-accts", "manage-api-tokens"],
          suspended: false,
          hasPassword: true,
          passwordHash: account.passwordHash,
          createdAt: T0,
          updatedAt: T0,
        });
        expect(await store.getAccountById(account.id)).toEqual(byName);
        expect(await store.getAccountByUsername(uniqueName("missing"))).toBeNull();
        expect(await store.getAccountById(newId("acct"))).toBeNull();
      });

      it("keeps an account without password or domain", async () => {
        const account = await addAccount({ passwordHash: null, domain: null, role: "user", acls: [] });
        const stored = await store.getAccountById(account.id);
        expect(stored?.hasPassword).toBe(false);
        expect(stored?.passwordHash).toBeNull();
        expect(stored?.domain).toBeNull();
        expect(stored?.acls).toEqual([]);
        // Several accounts may lack a domain: only real domains are unique.
        await addAccount({ domain: null });
      });

      it("refuses a second account with the same username or the same domain", async () => {
        const account = await addAccount();
        await expect(store.insertAccount(newAccount({ username: account.username }))).rejects.toBeInstanceOf(DuplicateRecordError);
        await expect(store.insertAccount(newAccount({ domain: account.domain }))).rejects.toBeInstanceOf(DuplicateRecordError);
        await expect(store.insertAccount(newAccount({ id: account.id }))).rejects.toBeInstanceOf(DuplicateRecordError);
        expect((await store.getAccountByUsername(account.username))?.id).toBe(account.id);
      });

      it("lists accounts sorted by username, filtered by owner and by role", async () => {
        const owner = await addAccount({ username: uniqueName("o") });
        const children = [
          await addAccount({ username: `${uniqueName("c").slice(0, 14)}zz`, owner: owner.username, role: "user", acls: [] }),
          await addAccount({ username: `${uniqueName("c").slice(0, 14)}aa`, owner: owner.username, role: "user", acls: [] }),
          await addAccount({ owner: owner.username, role: "reseller" }),
        ];
        const owned = await store.listAccounts({ owner: owner.username });
        expect(owned.map((a) => a.username)).toEqual(children.map((a) => a.username).sort());
        const ownedUsers = await store.listAccounts({ owner: owner.username, role: "user" });
        expect(ownedUsers.map((a) => a.id).sort()).toEqual([children[0]!.id, children[1]!.id].sort());

        const resellers = await store.listAccounts({ role: "reseller" });
        expect(resellers.every((a) => a.role === "reseller")).toBe(true);
        expect(resellers.map((a) => a.id)).toEqual(expect.arrayContaining([owner.id, children[2]!.id]));
        expect(resellers.map((a) => a.id)).not.toContain(children[0]!.id);

        const all = await store.listAccounts();
        expect(all.map((a) => a.id)).toEqual(expect.arrayContaining([owner.id, ...children.map((a) => a.id)]));
        const names = all.map((a) => a.username);
        expect(names).toEqual([...names].sort());
        expect(await store.listAccounts({ owner: uniqueName("nobody") })).toEqual([]);
      });

      it("updates only the fields a patch names", async () => {
        const account = await addAccount();
        await store.updateAccount(account.id, { acls: ["all"], updatedAt: T0 + 1000 });
        let stored = await store.getAccountById(account.id);
        expect(stored).toMatchObject({ acls: ["all"], role: "reseller", owner: "root", suspended: false, passwordHash: account.passwordHash, updatedAt: T0 + 1000, createdAt: T0 });

        await store.updateAccount(account.id, { suspended: true, passwordHash: null, role: "user", owner: "someone", updatedAt: T0 + 2000 });
        stored = await store.getAccountById(account.id);
        expect(stored).toMatchObject({ acls: ["all"], role: "user", owner: "someone", suspended: true, passwordHash: null, hasPassword: false, updatedAt: T0 + 2000 });

        await store.updateAccount(account.id, { suspended: false, passwordHash: "$scrypt$new", updatedAt: T0 + 3000 });
        stored = await store.getAccountById(account.id);
        expect(stored).toMatchObject({ suspended: false, passwordHash: "$scrypt$new", hasPassword: true, updatedAt: T0 + 3000 });
      });

      it("deletes an account with its tokens, access hash, IP access hashes and sessions, and hands its accounts to the new owner", async () => {
        const reseller = await addAccount();
        const keeper = await addAccount();
        const owned = await addAccount({ owner: reseller.username, role: "user", acls: [] });
        const token = newToken(reseller.id);
        await store.insertApiToken(token);
        const keeperToken = newToken(keeper.id, { digest: token.digest });
        await store.insertApiToken(keeperToken);
        const hash = newAccessHash(reseller.id);
        await store.putAccessHash(hash);
        const ipHash = newIpAccessHash(reseller.id, T0);
        await store.insertIpAccessHash(ipHash);
        const session = newSession(reseller.id);
        await store.insertSession(session);
        const before = await store.counts();

        await store.deleteAccount(reseller.id, keeper.username);

        expect(await store.getAccountById(reseller.id)).toBeNull();
        expect(await store.getAccountByUsername(reseller.username)).toBeNull();
        expect(await store.listApiTokens(reseller.id)).toEqual([]);
        expect(await store.findApiTokenByDigest(reseller.id, token.digest)).toBeNull();
        expect(await store.getAccessHash(reseller.id)).toBeNull();
        expect(await store.getIpAccessHash(ipHash.id)).toBeNull();
        expect(await store.findSessionByDigest(session.digest)).toBeNull();
        expect((await store.getAccountById(owned.id))?.owner).toBe(keeper.username);
        // Another account's records stay, even one sharing the deleted token's digest.
        expect(await store.findApiTokenByDigest(keeper.id, token.digest)).toEqual(keeperToken);
        expect(await store.getAccountById(keeper.id)).not.toBeNull();

        const after = await store.counts();
        expect(before.accounts - after.accounts).toBe(1);
        expect(before.resellers - after.resellers).toBe(1);
        expect(before.apiTokens - after.apiTokens).toBe(1);
        expect(before.accessHashes - after.accessHashes).toBe(1);
        expect(before.ipAccessHashes - after.ipAccessHashes).toBe(1);

        // The username and domain are free again.
        await store.insertAccount(newAccount({ username: reseller.username, domain: reseller.domain }));
      });

      it("deletes nothing when the account does not exist", async () => {
        const account = await addAccount();
        const before = await store.counts();
        await store.deleteAccount(newId("acct"), "root");
        expect(await store.counts()).toEqual(before);
        expect(await store.getAccountById(account.id)).not.toBeNull();
      });
    });

    describe("access hashes", () => {
      it("stores one per account and replaces it on the next put", async () => {
        const account = await addAccount();
        expect(await store.getAccessHash(account.id)).toBeNull();
        const first = newAccessHash(account.id, { lastUsedAt: T0 + 5, lastUsedIp: "192.0.2.1" });
        await store.putAccessHash(first);
        expect(await store.getAccessHash(account.id)).toEqual(first);

        const before = await store.counts();
        const second = newAccessHash(account.id, { createdAt: T0 + 10 });
        await store.putAccessHash(second);
        expect(await store.getAccessHash(account.id)).toEqual(second);
        expect((await store.counts()).accessHashes).toBe(before.accessHashes);
      });

      it("refuses a digest another account's hash already has", async () => {
        const a = await addAccount();
        const b = await addAccount();
        const hash = newAccessHash(a.id);
        await store.putAccessHash(hash);
        await expect(store.putAccessHash(newAccessHash(b.id, { digest: hash.digest }))).rejects.toBeInstanceOf(DuplicateRecordError);
        expect(await store.getAccessHash(b.id)).toBeNull();
      });
    });

    describe("API tokens", () => {
      it("stores a token with every field and finds it by name and by digest", async () => {
        const account = await addAccount();
        const token = newToken(account.id, {
          acls: ["create-acct", "list-accts"],
          whitelistIps: ["192.0.2.8/29", "fc00:abcd:0000:0000:0000:0000:0000:000f"],
          expiresAt: T0 + 86_400_000,
          lastUsedAt: T0 + 1,
          lastUsedIp: "192.0.2.9",
          origin: "imported",
        });
        await store.insertApiToken(token);
        expect(await store.getApiTokenByName(account.id, token.name)).toEqual(token);
        expect(await store.findApiTokenByDigest(account.id, token.digest)).toEqual(token);
        expect(await store.getApiTokenByName(account.id, "other")).toBeNull();
        expect(await store.findApiTokenByDigest(account.id, digest128())).toBeNull();
        // Tokens are looked up per account: another account does not see it.
        const stranger = await addAccount();
        expect(await store.getApiTokenByName(stranger.id, token.name)).toBeNull();
        expect(await store.findApiTokenByDigest(stranger.id, token.digest)).toBeNull();
      });

      it("keeps an empty ACL list apart from full access (null)", async () => {
        const account = await addAccount();
        const empty = newToken(account.id, { acls: [], whitelistIps: [] });
        const full = newToken(account.id);
        await store.insertApiToken(empty);
        await store.insertApiToken(full);
        expect(await store.getApiTokenByName(account.id, empty.name)).toMatchObject({ acls: [], whitelistIps: [] });
        expect(await store.getApiTokenByName(account.id, full.name)).toMatchObject({ acls: null, whitelistIps: null });
      });

      it("refuses a second token with the same name or the same digest on one account", async () => {
        const account = await addAccount();
        const token = newToken(account.id, { name: "my_token" });
        await store.insertApiToken(token);
        await expect(store.insertApiToken(newToken(account.id, { name: "my_token" }))).rejects.toBeInstanceOf(DuplicateRecordError);
        await expect(store.insertApiToken(newToken(account.id, { digest: token.digest }))).rejects.toBeInstanceOf(DuplicateRecordError);
        expect(await store.listApiTokens(account.id)).toEqual([token]);
      });

      it("allows the same name and the same digest on two accounts", async () => {
        const a = await addAccount();
        const b = await addAccount();
        const tokenA = newToken(a.id, { name: "shared" });
        const tokenB = newToken(b.id, { name: "shared", digest: tokenA.digest });
        await store.insertApiToken(tokenA);
        await store.insertApiToken(tokenB);
        expect(await store.findApiTokenByDigest(a.id, tokenA.digest)).toEqual(tokenA);
        expect(await store.findApiTokenByDigest(b.id, tokenA.digest)).toEqual(tokenB);
      });

      it("lists an account's tokens sorted by name, and only that account's", async () => {
        const account = await addAccount();
        const other = await addAccount();
        for (const name of ["charlie", "alpha", "bravo"]) await store.insertApiToken(newToken(account.id, { name }));
        await store.insertApiToken(newToken(other.id, { name: "aaa" }));
        expect((await store.listApiTokens(account.id)).map((t) => t.name)).toEqual(["alpha", "bravo", "charlie"]);
        expect(await store.listApiTokens((await addAccount()).id)).toEqual([]);
      });

      it("updates the fields a patch names, and refuses a rename onto another token's name", async () => {
        const account = await addAccount();
        const token = newToken(account.id, { name: "first", acls: ["list-accts"], whitelistIps: ["10.0.0.1"], expiresAt: T0 + 1000 });
        const second = newToken(account.id, { name: "second" });
        await store.insertApiToken(token);
        await store.insertApiToken(second);

        await store.updateApiToken(token.id, { name: "renamed" });
        expect(await store.getApiTokenByName(account.id, "first")).toBeNull();
        expect(await store.getApiTokenByName(account.id, "renamed")).toEqual({ ...token, name: "renamed" });

        await store.updateApiToken(token.id, { acls: null, whitelistIps: null, expiresAt: null });
        expect(await store.getApiTokenByName(account.id, "renamed")).toEqual({ ...token, name: "renamed", acls: null, whitelistIps: null, expiresAt: null });

        await store.updateApiToken(token.id, { acls: ["kill-acct"], whitelistIps: ["192.0.2.1"], expiresAt: T0 + 2000 });
        expect(await store.getApiTokenByName(account.id, "renamed")).toMatchObject({ acls: ["kill-acct"], whitelistIps: ["192.0.2.1"], expiresAt: T0 + 2000 });

        await store.updateApiToken(token.id, {});
        expect(await store.getApiTokenByName(account.id, "renamed")).toMatchObject({ acls: ["kill-acct"], expiresAt: T0 + 2000 });

        await expect(store.updateApiToken(token.id, { name: "second" })).rejects.toBeInstanceOf(DuplicateRecordError);
        expect(await store.getApiTokenByName(account.id, "renamed")).not.toBeNull();
        expect(await store.getApiTokenByName(account.id, "second")).toEqual(second);
      });

      it("deletes one token and leaves the others", async () => {
        const account = await addAccount();
        const gone = newToken(account.id, { name: "gone" });
        const kept = newToken(account.id, { name: "kept" });
        await store.insertApiToken(gone);
        await store.insertApiToken(kept);
        const before = await store.counts();
        await store.deleteApiToken(gone.id);
        expect(await store.getApiTokenByName(account.id, "gone")).toBeNull();
        expect(await store.findApiTokenByDigest(account.id, gone.digest)).toBeNull();
        expect(await store.listApiTokens(account.id)).toEqual([kept]);
        expect(before.apiTokens - (await store.counts()).apiTokens).toBe(1);
        // Deleting again, or an unknown id, is harmless.
        await store.deleteApiToken(gone.id);
        expect(await store.listApiTokens(account.id)).toEqual([kept]);
      });
    });

    describe("IP access hashes", () => {
      it("stores them, lists them newest first, and filters by account", async () => {
        const a = await addAccount();
        const b = await addAccount();
        const older = newIpAccessHash(a.id, T0 + 1000, { expiresAt: T0 + 9000 });
        const newer = newIpAccessHash(a.id, T0 + 2000, { ip: "2620:0000:28a4:0000:0000:0000:0000:0000/48" });
        const ofB = newIpAccessHash(b.id, T0 + 3000);
        for (const record of [older, newer, ofB]) await store.insertIpAccessHash(record);

        expect(await store.getIpAccessHash(older.id)).toEqual(older);
        expect(await store.getIpAccessHash(newId("iah"))).toBeNull();
        expect(await store.listIpAccessHashes([a.id])).toEqual([newer, older]);
        expect(await store.listIpAccessHashes([a.id, b.id])).toEqual([ofB, newer, older]);
        expect(await store.listIpAccessHashes([])).toEqual([]);
        const all = await store.listIpAccessHashes();
        expect(all.map((r) => r.id)).toEqual(expect.arrayContaining([older.id, newer.id, ofB.id]));
        const ids = all.map((r) => r.id);
        expect(ids).toEqual([...ids].sort().reverse());
      });

      it("finds one by digest and refuses a digest twice", async () => {
        const account = await addAccount();
        const record = newIpAccessHash(account.id, T0);
        await store.insertIpAccessHash(record);
        expect(await store.findIpAccessHashByDigest(record.digest)).toEqual(record);
        expect(await store.findIpAccessHashByDigest(randomBytes(32).toString("hex"))).toBeNull();
        await expect(store.insertIpAccessHash(newIpAccessHash(account.id, T0, { digest: record.digest }))).rejects.toBeInstanceOf(DuplicateRecordError);
      });

      it("updates the fields a patch names and deletes one", async () => {
        const account = await addAccount();
        const record = newIpAccessHash(account.id, T0);
        await store.insertIpAccessHash(record);
        await store.updateIpAccessHash(record.id, { name: "office", ip: "198.51.100.7", expiresAt: T0 + 5000 });
        expect(await store.getIpAccessHash(record.id)).toEqual({ ...record, name: "office", ip: "198.51.100.7", expiresAt: T0 + 5000 });
        await store.updateIpAccessHash(record.id, { expiresAt: null });
        expect(await store.getIpAccessHash(record.id)).toEqual({ ...record, name: "office", ip: "198.51.100.7", expiresAt: null });
        await store.updateIpAccessHash(record.id, {});
        expect((await store.getIpAccessHash(record.id))?.name).toBe("office");
        await store.deleteIpAccessHash(record.id);
        expect(await store.getIpAccessHash(record.id)).toBeNull();
        expect(await store.findIpAccessHashByDigest(record.digest)).toBeNull();
      });
    });

    describe("sessions", () => {
      it("stores a session, finds it by digest and deletes it", async () => {
        const account = await addAccount();
        const session = newSession(account.id);
        await store.insertSession(session);
        expect(await store.findSessionByDigest(session.digest)).toEqual(session);
        expect(await store.findSessionByDigest(randomBytes(32).toString("hex"))).toBeNull();
        await store.deleteSession(session.id);
        expect(await store.findSessionByDigest(session.digest)).toBeNull();
      });

      it("ends every session of one account and keeps the others'", async () => {
        const [account, other] = [await addAccount(), await addAccount()];
        const sessions = [newSession(account.id), newSession(account.id)];
        const kept = newSession(other.id);
        for (const session of [...sessions, kept]) await store.insertSession(session);
        await store.deleteAccountSessions(account.id);
        for (const session of sessions) expect(await store.findSessionByDigest(session.digest)).toBeNull();
        expect(await store.findSessionByDigest(kept.digest)).toEqual(kept);
      });

      it("deletes the sessions expired at a given time and counts them", async () => {
        const account = await addAccount();
        // Times near the epoch, so sessions other tests keep in a shared database are never due.
        const expired = [newSession(account.id, { createdAt: 1, expiresAt: 500 }), newSession(account.id, { createdAt: 1, expiresAt: 1000 })];
        const live = newSession(account.id, { createdAt: 1, expiresAt: 1001 });
        for (const session of [...expired, live]) await store.insertSession(session);
        expect(await store.deleteExpiredSessions(1000)).toBe(2);
        for (const session of expired) expect(await store.findSessionByDigest(session.digest)).toBeNull();
        expect(await store.findSessionByDigest(live.digest)).toEqual(live);
        expect(await store.deleteExpiredSessions(1000)).toBe(0);
      });
    });

    describe("settings", () => {
      it("stores settings and overwrites a key on the next put", async () => {
        const key = `test_${randomBytes(4).toString("hex")}`;
        const other = `test_${randomBytes(4).toString("hex")}`;
        expect((await store.getSettings()).has(key)).toBe(false);
        await store.putSetting(key, "1", T0);
        await store.putSetting(other, "15", T0);
        expect((await store.getSettings()).get(key)).toBe("1");
        await store.putSetting(key, "0", T0 + 1);
        const settings = await store.getSettings();
        expect(settings.get(key)).toBe("0");
        expect(settings.get(other)).toBe("15");
      });
    });

    describe("audit log", () => {
      it("keeps every field, detail included, and lists newest first", async () => {
        const actor = uniqueName("actor");
        const entries = [0, 1, 2].map((i) =>
          newAudit(T0 + i * 1000, { actor, detail: { role: "reseller", count: i, ok: i % 2 === 0, nothing: null }, outcome: i === 1 ? "failure" : "success" }),
        );
        for (const entry of entries) await store.appendAudit(entry);
        expect(await store.listAudit({ actor, limit: 10 })).toEqual([...entries].reverse());
      });

      it("filters by actor, action, target and time, pages with `before`, and honours the limit", async () => {
        const actor = uniqueName("actor");
        const target = uniqueName("target");
        const base = T0 + 10_000_000;
        const a = newAudit(base, { actor, action: "token.create", target });
        const b = newAudit(base + 1000, { actor, action: "token.revoke", target });
        const c = newAudit(base + 2000, { actor, action: "token.create", target: "elsewhere" });
        const d = newAudit(base + 3000, { actor, action: "login.failure", target, outcome: "failure" });
        for (const entry of [a, b, c, d]) await store.appendAudit(entry);
        const ids = (records: AuditRecord[]) => records.map((r) => r.id);

        expect(ids(await store.listAudit({ actor, limit: 100 }))).toEqual([d.id, c.id, b.id, a.id]);
        expect(ids(await store.listAudit({ actor, action: "token.create", limit: 100 }))).toEqual([c.id, a.id]);
        expect(ids(await store.listAudit({ target, limit: 100 }))).toEqual([d.id, b.id, a.id]);
        expect(ids(await store.listAudit({ actor, target, action: "token.revoke", limit: 100 }))).toEqual([b.id]);
        // `since` is inclusive, `until` exclusive.
        expect(ids(await store.listAudit({ actor, since: base + 1000, limit: 100 }))).toEqual([d.id, c.id, b.id]);
        expect(ids(await store.listAudit({ actor, until: base + 2000, limit: 100 }))).toEqual([b.id, a.id]);
        expect(ids(await store.listAudit({ actor, since: base + 1000, until: base + 3000, limit: 100 }))).toEqual([c.id, b.id]);
        expect(ids(await store.listAudit({ actor, limit: 2 }))).toEqual([d.id, c.id]);
        expect(ids(await store.listAudit({ actor, before: c.id, limit: 100 }))).toEqual([b.id, a.id]);
        expect(ids(await store.listAudit({ actor, before: c.id, limit: 1 }))).toEqual([b.id]);
        expect(await store.listAudit({ actor: uniqueName("nobody"), limit: 100 })).toEqual([]);
      });

      it("chains entries: consecutive seq, each prev_hash the hash before, listeners told after commit only", async () => {
        const hasher = new AuditChainHasher(randomBytes(32));
        await store.useAuditChain(hasher);
        const told: string[] = [];
        store.onAuditAppended((entry) => told.push(entry.id));
        const actor = uniqueName("actor");
        const entries = [0, 1, 2].map((i) => newAudit(T0 + 20_000_000 + i, { actor, detail: { i } }));
        await store.appendAudit(entries[0]!);
        await store.transaction(async (tx) => {
          await tx.appendAudit(entries[1]!);
          await tx.appendAudit(entries[2]!);
          expect(told).toEqual([entries[0]!.id]);
        });
        await expect(
          store.transaction(async (tx) => {
            await tx.appendAudit(newAudit(T0 + 20_000_010, { actor }));
            throw new Error("abort");
          }),
        ).rejects.toThrow("abort");
        expect(told).toEqual(entries.map((entry) => entry.id));
        const all = await store.listAuditChain(0, 100_000);
        const mine = all.filter((entry) => entry.actor === actor);
        expect(mine.map((entry) => entry.id)).toEqual(entries.map((entry) => entry.id));
        expect(mine[1]!.seq).toBe(mine[0]!.seq + 1);
        expect(mine[2]!.seq).toBe(mine[1]!.seq + 1);
        expect(mine[1]!.prevHash).toBe(mine[0]!.hash);
        expect(mine[2]!.hash).toBe(hasher.hash(entries[2]!, mine[1]!.hash!));
        expect(await store.countAudit()).toBeGreaterThanOrEqual(3);
      });
    });

    describe("last use", () => {
      it("records last use of each kind of credential and skips records that no longer exist", async () => {
        const account = await addAccount();
        const token = newToken(account.id);
        await store.insertApiToken(token);
        await store.putAccessHash(newAccessHash(account.id));
        const ipHash = newIpAccessHash(account.id, T0);
        await store.insertIpAccessHash(ipHash);

        await store.recordUsage([
          { kind: "api-token", id: newId("tok"), at: T0 + 1, ip: "203.0.113.1" },
          { kind: "api-token", id: token.id, at: T0 + 100, ip: "192.0.2.1" },
          { kind: "accesshash", id: newId("acct"), at: T0 + 1, ip: "203.0.113.1" },
          { kind: "accesshash", id: account.id, at: T0 + 200, ip: "2001:db8::1" },
          { kind: "ip-access-hash", id: newId("iah"), at: T0 + 1, ip: "203.0.113.1" },
          { kind: "ip-access-hash", id: ipHash.id, at: T0 + 300, ip: "192.0.2.55" },
        ]);

        expect(await store.getApiTokenByName(account.id, token.name)).toMatchObject({ lastUsedAt: T0 + 100, lastUsedIp: "192.0.2.1" });
        expect(await store.getAccessHash(account.id)).toMatchObject({ lastUsedAt: T0 + 200, lastUsedIp: "2001:db8::1" });
        expect(await store.getIpAccessHash(ipHash.id)).toMatchObject({ lastUsedAt: T0 + 300, lastUsedIp: "192.0.2.55" });
        await store.recordUsage([]);
        expect(await store.getApiTokenByName(account.id, token.name)).toMatchObject({ lastUsedAt: T0 + 100 });
      });

      it("only moves last use forward, and never onto an access hash made after the use", async () => {
        const account = await addAccount();
        const token = newToken(account.id);
        await store.insertApiToken(token);
        const ipHash = newIpAccessHash(account.id, T0);
        await store.insertIpAccessHash(ipHash);
        await store.recordUsage([
          { kind: "api-token", id: token.id, at: T0 + 500, ip: "192.0.2.5" },
          { kind: "ip-access-hash", id: ipHash.id, at: T0 + 500, ip: "192.0.2.5" },
        ]);
        // An instance flushing older uses after a newer one landed changes nothing.
        await store.recordUsage([
          { kind: "api-token", id: token.id, at: T0 + 400, ip: "192.0.2.4" },
          { kind: "ip-access-hash", id: ipHash.id, at: T0 + 400, ip: "192.0.2.4" },
        ]);
        expect(await store.getApiTokenByName(account.id, token.name)).toMatchObject({ lastUsedAt: T0 + 500, lastUsedIp: "192.0.2.5" });
        expect(await store.getIpAccessHash(ipHash.id)).toMatchObject({ lastUsedAt: T0 + 500, lastUsedIp: "192.0.2.5" });

        // The old hash was used at T0 + 100; the account's new one was made at T0 + 200.
        await store.putAccessHash(newAccessHash(account.id, { createdAt: T0 + 200 }));
        await store.recordUsage([{ kind: "accesshash", id: account.id, at: T0 + 100, ip: "203.0.113.9" }]);
        expect(await store.getAccessHash(account.id)).toMatchObject({ lastUsedAt: null, lastUsedIp: null });
        await store.recordUsage([{ kind: "accesshash", id: account.id, at: T0 + 300, ip: "203.0.113.9" }]);
        expect(await store.getAccessHash(account.id)).toMatchObject({ lastUsedAt: T0 + 300, lastUsedIp: "203.0.113.9" });
      });
    });

    describe("counts", () => {
      it("counts accounts, resellers, tokens, access hashes and IP access hashes", async () => {
        const before = await store.counts();
        const reseller = await addAccount({ role: "reseller" });
        await addAccount({ role: "user", acls: [] });
        await store.insertApiToken(newToken(reseller.id));
        await store.insertApiToken(newToken(reseller.id));
        await store.putAccessHash(newAccessHash(reseller.id));
        await store.insertIpAccessHash(newIpAccessHash(reseller.id, T0));
        const after = await store.counts();
        expect({
          accounts: after.accounts - before.accounts,
          resellers: after.resellers - before.resellers,
          apiTokens: after.apiTokens - before.apiTokens,
          accessHashes: after.accessHashes - before.accessHashes,
          ipAccessHashes: after.ipAccessHashes - before.ipAccessHashes,
        }).toEqual({ accounts: 2, resellers: 1, apiTokens: 2, accessHashes: 1, ipAccessHashes: 1 });
        for (const value of Object.values(after)) expect(typeof value).toBe("number");
      });
    });

    describe("key fingerprint", () => {
      const fingerprint = (): string => randomBytes(32).toString("hex");

      it("keeps the first fingerprint recorded: a second, different one does not replace it", async () => {
        // A store other tests share may hold one already; then that one is the first.
        const kept = await store.recordKeyFingerprint(fingerprint());
        expect(kept).toMatch(/^[0-9a-f]{64}$/);
        expect(await store.getKeyFingerprint()).toBe(kept);
        expect(await store.recordKeyFingerprint(fingerprint())).toBe(kept);
        expect(await store.getKeyFingerprint()).toBe(kept);
      });

      it("has none on an empty store, and records one there (inside an abandoned erase)", async () => {
        const kept = await store.recordKeyFingerprint(fingerprint());
        const mine = fingerprint();
        const abandon = new Error("abandon");
        await expect(
          store.transaction(async (tx) => {
            await tx.eraseAllData();
            expect(await tx.getKeyFingerprint()).toBeNull();
            expect(await tx.recordKeyFingerprint(mine)).toBe(mine);
            expect(await tx.getKeyFingerprint()).toBe(mine);
            throw abandon;
          }),
        ).rejects.toBe(abandon);
        expect(await store.getKeyFingerprint()).toBe(kept);
      });
    });

    describe("erasing", () => {
      // Inside a transaction that is then abandoned, as `migrate-store --force` erases, so a
      // database other suites share comes back whole.
      it("empties every table, and a rolled-back erase leaves everything in place", async () => {
        const account = await addAccount();
        const token = newToken(account.id);
        await store.insertApiToken(token);
        await store.putAccessHash(newAccessHash(account.id));
        const ipHash = newIpAccessHash(account.id, T0);
        await store.insertIpAccessHash(ipHash);
        const session = newSession(account.id);
        await store.insertSession(session);
        const setting = `test_${randomBytes(4).toString("hex")}`;
        await store.putSetting(setting, "1", T0);
        const entry = newAudit(T0, { actor: uniqueName("actor") });
        await store.appendAudit(entry);
        const before = await store.counts();

        const abandon = new Error("abandon the erase");
        await expect(
          store.transaction(async (tx) => {
            await tx.eraseAllData();
            expect(await tx.counts()).toEqual({ accounts: 0, resellers: 0, apiTokens: 0, accessHashes: 0, ipAccessHashes: 0 });
            expect(await tx.listAccounts()).toEqual([]);
            expect((await tx.getSettings()).size).toBe(0);
            expect(await tx.listAudit({ limit: 1 })).toEqual([]);
            expect(await tx.findSessionByDigest(session.digest)).toBeNull();
            expect(await tx.listIpAccessHashes()).toEqual([]);
            throw abandon;
          }),
        ).rejects.toBe(abandon);

        expect(await store.counts()).toEqual(before);
        expect(await store.getApiTokenByName(account.id, token.name)).toEqual(token);
        expect(await store.getIpAccessHash(ipHash.id)).toEqual(ipHash);
        expect(await store.findSessionByDigest(session.digest)).toEqual(session);
        expect((await store.getSettings()).get(setting)).toBe("1");
        expect(await store.listAudit({ actor: entry.actor, limit: 10 })).toEqual([entry]);
      });
    });

    describe("transactions", () => {
      it("commits every write together and returns the work's result", async () => {
        const account = newAccount();
        const token = newToken(account.id);
        const entry = newAudit(T0, { actor: uniqueName("actor") });
        const result = await store.transaction(async (tx) => {
          await tx.insertAccount(account);
          // Writes are visible inside the transaction before it commits.
          expect((await tx.getAccountById(account.id))?.username).toBe(account.username);
          await tx.insertApiToken(token);
          await tx.appendAudit(entry);
          return "done";
        });
        expect(result).toBe("done");
        expect(await store.getAccountById(account.id)).not.toBeNull();
        expect(await store.getApiTokenByName(account.id, token.name)).toEqual(token);
        expect(await store.listAudit({ actor: entry.actor, limit: 10 })).toEqual([entry]);
      });

      it("rolls every write back when the work throws", async () => {
        const existing = await addAccount();
        const account = newAccount();
        const entry = newAudit(T0, { actor: uniqueName("actor") });
        const setting = `test_${randomBytes(4).toString("hex")}`;
        const before = await store.counts();
        const failure = new Error("changed my mind");
        await expect(
          store.transaction(async (tx) => {
            await tx.insertAccount(account);
            await tx.insertApiToken(newToken(account.id));
            await tx.putAccessHash(newAccessHash(existing.id));
            await tx.updateAccount(existing.id, { suspended: true, updatedAt: T0 + 1 });
            await tx.appendAudit(entry);
            await tx.putSetting(setting, "1", T0);
            throw failure;
          }),
        ).rejects.toBe(failure);
        expect(await store.getAccountById(account.id)).toBeNull();
        expect(await store.getAccessHash(existing.id)).toBeNull();
        expect((await store.getAccountById(existing.id))?.suspended).toBe(false);
        expect(await store.listAudit({ actor: entry.actor, limit: 10 })).toEqual([]);
        expect((await store.getSettings()).has(setting)).toBe(false);
        expect(await store.counts()).toEqual(before);
      });

      it("rolls back the earlier writes when a later one breaks a uniqueness rule", async () => {
        const existing = await addAccount();
        const account = newAccount();
        await expect(
          store.transaction(async (tx) => {
            await tx.insertAccount(account);
            await tx.insertAccount(newAccount({ username: existing.username }));
          }),
        ).rejects.toBeInstanceOf(DuplicateRecordError);
        expect(await store.getAccountById(account.id)).toBeNull();
        // The store is still usable afterwards.
        await store.insertAccount(account);
        expect(await store.getAccountById(account.id)).not.toBeNull();
      });

      it("runs a transaction opened inside a transaction as part of it", async () => {
        const account = newAccount();
        await expect(
          store.transaction(async (tx) => {
            await tx.transaction(async (inner) => inner.insertAccount(account));
            throw new Error("outer fails");
          }),
        ).rejects.toThrow("outer fails");
        expect(await store.getAccountById(account.id)).toBeNull();
      });
    });
  });
}
