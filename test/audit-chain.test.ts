import SQLite from "better-sqlite3";
import { randomBytes } from "node:crypto";
import { createSocket } from "node:dgram";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { openKeyhold } from "../src/cli/context.js";
import { resolveStoreLocation } from "../src/config.js";
import { auditRecord } from "../src/core/audit.js";
import { JsonlAuditForwarder, parseSyslogUrl, SyslogAuditForwarder, type AuditForwarder } from "../src/core/audit-forward.js";
import { createKeyhold, type Keyhold } from "../src/core/keyhold.js";
import { SecretBox } from "../src/core/secret-box.js";
import type { Store } from "../src/core/storage/store.js";
import { openPostgresStore } from "../src/store/postgres.js";
import { openSqliteStore } from "../src/store/sqlite.js";
import { dropSchema, schemaUrl, TEST_DATABASE_URL, uniqueSchema } from "./postgres-helpers.js";
import { CLI, runCli } from "./server-process.js";
import { createTestApp, ROOT } from "./harness.js";

const T0 = Date.UTC(2026, 11, 1);
const actor = { username: "root", ip: "192.0.2.1" };

async function appendSome(store: Store, n: number, label = "x"): Promise<void> {
  for (let i = 0; i < n; i += 1) {
    await store.appendAudit(auditRecord(T0 + i, actor, "account.create", `${label}${i}`, { detail: { role: "user", n: i } }));
  }
}

describe("audit hash chain (SQLite)", () => {
  let dir: string;
  let file: string;
  let store: Store;
  let keyhold: Keyhold;
  const secretBox = new SecretBox(randomBytes(32));

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), "keyhold-chain-"));
    file = join(dir, "keyhold.sqlite");
    store = await openSqliteStore(file);
    keyhold = await createKeyhold({ store, secretBox });
    await appendSome(store, 5);
  });
  afterEach(async () => {
    await keyhold.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function raw(statement: string): void {
    const db = new SQLite(file);
    try {
      db.exec(statement);
    } finally {
      db.close();
    }
  }

  it("links every entry to the one before, and verifies", async () => {
    const chain = await store.listAuditChain(0, 100);
    expect(chain.map((entry) => entry.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(chain[0]!.prevHash).toBe("0".repeat(64));
    for (let i = 1; i < chain.length; i += 1) expect(chain[i]!.prevHash).toBe(chain[i - 1]!.hash);
    expect(await keyhold.audit.verify()).toEqual({ ok: true, entries: 5, headSeq: 5 });
  });

  it("names an entry whose detail was edited: changed", async () => {
    raw(`UPDATE audit_log SET detail = '{"role":"root","n":2}' WHERE seq = 3`);
    const [third] = await store.listAuditChain(2, 1);
    const result = await keyhold.audit.verify();
    expect(result).toMatchObject({ ok: false, seq: 3, id: third!.id, problem: "changed" });
    if (!result.ok) expect(result.message).toBe(`audit entry ${third!.id} (seq 3): changed`);
  });

  it("names the entry after a deleted one: missing", async () => {
    const [, , third] = await store.listAuditChain(0, 100);
    raw(`DELETE FROM audit_log WHERE seq = 2`);
    expect(await keyhold.audit.verify()).toMatchObject({ ok: false, seq: 3, id: third!.id, problem: "missing" });
  });

  it("names a reordered entry: out of order", async () => {
    const [, second, third] = await store.listAuditChain(0, 100);
    raw(`UPDATE audit_log SET seq = -1 WHERE seq = 2; UPDATE audit_log SET seq = 2 WHERE seq = 3; UPDATE audit_log SET seq = 3 WHERE seq = -1;`);
    expect(second).toBeDefined();
    expect(await keyhold.audit.verify()).toMatchObject({ ok: false, seq: 2, id: third!.id, problem: "out of order" });
  });

  it("a rewritten hash does not verify without the key file", async () => {
    raw(`UPDATE audit_log SET hash = '${"a".repeat(64)}' WHERE seq = 5`);
    expect(await keyhold.audit.verify()).toMatchObject({ ok: false, seq: 5, problem: "changed" });
  });

  it("keeps appends inside a service transaction atomic: a rollback leaves no entry and no gap", async () => {
    await expect(
      store.transaction(async (tx) => {
        await tx.appendAudit(auditRecord(T0 + 100, actor, "account.create", "rolled-back"));
        throw new Error("abort");
      }),
    ).rejects.toThrow("abort");
    await appendSome(store, 1, "after");
    expect(await keyhold.audit.verify()).toEqual({ ok: true, entries: 6, headSeq: 6 });
  });

  it("seals entries written before the chain existed (older rows, migrate-store) once, at the first start with the key", async () => {
    await keyhold.close();
    const fresh = join(mkdtempSync(join(tmpdir(), "keyhold-audit-unsealed-")), "fresh.sqlite");
    const bare = await openSqliteStore(fresh);
    await appendSome(bare, 3, "bare");
    await bare.close();
    store = await openSqliteStore(fresh);
    expect((await store.listAuditChain(0, 10)).map((entry) => entry.hash)).toEqual([null, null, null]);
    keyhold = await createKeyhold({ store, secretBox });
    expect(await keyhold.audit.verify()).toEqual({ ok: true, entries: 3, headSeq: 3 });
  });

  it("the attack: entries forged without the key, or with their hash cleared, after the chain was sealed are never sealed", async () => {
    await keyhold.close();
    const bare = await openSqliteStore(file);
    await appendSome(bare, 2, "forged");
    await bare.close();
    raw(`UPDATE audit_log SET detail = '{"role":"root","n":4}', hash = NULL, prev_hash = NULL WHERE seq = 5`);
    store = await openSqliteStore(file);
    keyhold = await createKeyhold({ store, secretBox });
    const [fifth] = await store.listAuditChain(4, 1);
    expect(fifth!.hash).toBeNull();
    expect(await keyhold.audit.verify()).toMatchObject({ ok: false, seq: 5, id: fifth!.id, problem: "changed" });
  });
});

describe("keyhold audit verify", { timeout: 60_000 }, () => {
  let dataDir: string;
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it("exits 0 on an intact chain and 1 naming the first changed entry", async () => {
    expect(existsSync(CLI), `${CLI} is missing: run \`npm run build\` first`).toBe(true);
    dataDir = mkdtempSync(join(tmpdir(), "keyhold-chain-cli-"));
    const keyhold = await openKeyhold(resolveStoreLocation({ dataDir }, {}), { create: true });
    try {
      await keyhold.accounts.ensureRoot("root-password-1");
    } finally {
      await keyhold.close();
    }
    const intact = await runCli(["audit", "verify", "--data-dir", dataDir]);
    expect(intact.code, intact.stderr).toBe(0);
    expect(intact.stdout).toMatch(/audit chain intact: \d+ entries/);
    const json = await runCli(["audit", "verify", "--json", "--data-dir", dataDir]);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: true });

    const db = new SQLite(join(dataDir, "keyhold.sqlite"));
    const row = db.prepare("SELECT id FROM audit_log WHERE seq = 1").get() as { id: string };
    db.prepare("UPDATE audit_log SET target = 'someone-else' WHERE seq = 1").run();
    db.close();
    const broken = await runCli(["audit", "verify", "--data-dir", dataDir]);
    expect(broken.code).toBe(1);
    expect(broken.stderr).toContain(`audit entry ${row.id} (seq 1): changed`);
  });
});

describe("audit hash chain (PostgreSQL, two instances)", { timeout: 60_000 }, () => {
  const schema = uniqueSchema("chain");
  afterAll(() => dropSchema(schema));

  it("never forks when two instances append at once", async () => {
    const secretBox = new SecretBox(randomBytes(32));
    const [a, b] = [await openPostgresStore(schemaUrl(schema)), await openPostgresStore(schemaUrl(schema))];
    const [ka, kb] = await Promise.all([createKeyhold({ store: a, secretBox }), createKeyhold({ store: b, secretBox })]);
    try {
      await Promise.all([
        ...Array.from({ length: 4 }, (_, i) => appendSome(a, 15, `a${i}-`)),
        ...Array.from({ length: 4 }, (_, i) => appendSome(b, 15, `b${i}-`)),
      ]);
      expect(await ka.audit.verify()).toEqual({ ok: true, entries: 120, headSeq: 120 });
      // Tampering is seen on PostgreSQL too.
      const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
      await client.connect();
      try {
        await client.query(`UPDATE "${schema}".audit_log SET detail = '{}' WHERE seq = 60`);
      } finally {
        await client.end();
      }
      expect(await kb.audit.verify()).toMatchObject({ ok: false, seq: 60, problem: "changed" });
    } finally {
      await ka.close();
      await kb.close();
    }
  });
});

describe("audit forwarding", { timeout: 30_000 }, () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "keyhold-forward-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  async function withForwarder(forwarder: AuditForwarder, work: (store: Store) => Promise<void>): Promise<void> {
    const store = await openSqliteStore(join(dir, "keyhold.sqlite"));
    const keyhold = await createKeyhold({ store, secretBox: new SecretBox(randomBytes(32)), auditForwarders: [forwarder] });
    try {
      await work(store);
    } finally {
      await keyhold.close();
    }
  }

  it("appends one JSON line per committed entry to a 0600 file, none for a rolled-back one", async () => {
    const file = join(dir, "audit.jsonl");
    const errors: unknown[] = [];
    await withForwarder(new JsonlAuditForwarder(file, (error) => errors.push(error)), async (store) => {
      await appendSome(store, 2);
      await store.transaction(async (tx) => {
        await tx.appendAudit(auditRecord(T0 + 10, actor, "token.create", "root/ci", { detail: { acls: "list-accts" } }));
      });
      await expect(
        store.transaction(async (tx) => {
          await tx.appendAudit(auditRecord(T0 + 11, actor, "token.create", "root/never"));
          throw new Error("abort");
        }),
      ).rejects.toThrow("abort");
    });
    expect(errors).toEqual([]);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const lines = readFileSync(file, "utf8").trimEnd().split("\n").map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.map((line) => [line.seq, line.target])).toEqual([[1, "x0"], [2, "x1"], [3, "root/ci"]]);
    expect(lines[2]).toMatchObject({ actor: "root", ip: "192.0.2.1", action: "token.create", outcome: "success", detail: { acls: "list-accts" }, time: new Date(T0 + 10).toISOString() });
    expect(lines[2]!.hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it("a forwarding failure is logged and never fails the write", async () => {
    const errors: unknown[] = [];
    await withForwarder(new JsonlAuditForwarder(join(dir, "no-such-dir", "audit.jsonl"), (error) => errors.push(error)), async (store) => {
      await appendSome(store, 1);
    });
    expect(String(errors[0])).toMatch(/audit forwarding to .* failed/);
  });

  const RFC5424 = /^<(\d+)>1 (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) (\S+) keyhold (\d+) (\S+) \[keyhold@32473 seq="(\d+)" id="([^"]+)" actor="root" ip="192\.0\.2\.1" target="([^"]*)" outcome="(success|failure)"\] (\{.*\})$/;

  it("sends RFC 5424 messages over UDP", async () => {
    const server = createSocket("udp4");
    const received: string[] = [];
    await new Promise<void>((resolve) => server.bind(0, "127.0.0.1", resolve));
    server.on("message", (message) => received.push(message.toString("utf8")));
    const { port } = server.address();
    try {
      await withForwarder(new SyslogAuditForwarder(parseSyslogUrl(`udp://127.0.0.1:${port}`), (error) => { throw error; }), async (store) => {
        await appendSome(store, 1);
        await store.appendAudit(auditRecord(T0 + 5, actor, "login.failure", "bob", { outcome: "failure" }));
        await vi.waitFor(() => expect(received).toHaveLength(2));
      });
    } finally {
      server.close();
    }
    const [first, second] = received.map((message) => RFC5424.exec(message));
    expect(first, received[0]).not.toBeNull();
    expect(first![1]).toBe("85"); // authpriv.notice
    expect(first![2]).toBe(new Date(T0).toISOString());
    expect(first![5]).toBe("account.create");
    expect(first![6]).toBe("1");
    expect(first![8]).toBe("x0");
    expect(JSON.parse(first![10]!)).toMatchObject({ seq: 1, action: "account.create", detail: { role: "user", n: 0 } });
    expect(second![1]).toBe("84"); // authpriv.warning
    expect(second![5]).toBe("login.failure");
  });

  it("sends octet-counted RFC 5424 messages over TCP", async () => {
    let data = "";
    const server = createServer((socket) => socket.on("data", (chunk) => (data += chunk.toString("utf8"))));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    try {
      await withForwarder(new SyslogAuditForwarder(parseSyslogUrl(`tcp://127.0.0.1:${port}`), (error) => { throw error; }), async (store) => {
        await appendSome(store, 3);
        await vi.waitFor(() => expect(data.split("<85>1 ")).toHaveLength(4));
      });
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
    const frames: string[] = [];
    let rest = Buffer.from(data, "utf8");
    while (rest.length > 0) {
      const space = rest.indexOf(0x20);
      const length = Number(rest.subarray(0, space).toString("ascii"));
      frames.push(rest.subarray(space + 1, space + 1 + length).toString("utf8"));
      rest = rest.subarray(space + 1 + length);
    }
    expect(frames.map((frame) => RFC5424.exec(frame)?.[6])).toEqual(["1", "2", "3"]);
  });

  it("refuses a syslog address it cannot use", () => {
    expect(() => parseSyslogUrl("http://example.com")).toThrow(/udp:\/\/, tcp:\/\/ or tls:\/\//);
    expect(parseSyslogUrl("tls://logs.example.com")).toEqual({ protocol: "tls", host: "logs.example.com", port: 6514 });
  });
});

describe("successful logins", () => {
  it("are audited coalesced: one entry per credential and address at the usage flush, none per request", async () => {
    const t = await createTestApp();
    try {
      for (let i = 0; i < 3; i += 1) expect((await t.whm("version")).status).toBe(200);
      expect((await t.whm("version", {}, ROOT, "192.0.2.9")).status).toBe(200);
      expect(await t.keyhold.audit.list({ action: "login.success", limit: 10 })).toEqual([]);
      await t.keyhold.usage.flush();
      const entries = await t.keyhold.audit.list({ action: "login.success", limit: 10 });
      expect(entries.map((entry) => [entry.actor, entry.ip, entry.outcome, entry.detail.credential, entry.detail.count]).sort()).toEqual([
        ["root", "127.0.0.1", "success", "password", 3],
        ["root", "192.0.2.9", "success", "password", 1],
      ]);
      expect(await t.keyhold.audit.verify()).toMatchObject({ ok: true });
    } finally {
      await t.app.close();
      await t.keyhold.close();
    }
  });
});

describe("audit retention", () => {
  it("prunes old entries behind a signed checkpoint, and the rest still verifies", async () => {
    const dir = mkdtempSync(join(tmpdir(), "keyhold-retention-"));
    const file = join(dir, "keyhold.sqlite");
    const store = await openSqliteStore(file);
    const keyhold = await createKeyhold({ store, secretBox: new SecretBox(randomBytes(32)) });
    const day = 86_400_000;
    try {
      for (let i = 0; i < 6; i += 1) await store.appendAudit(auditRecord(T0 + i * day, actor, "account.create", `d${i}`));
      expect(await keyhold.audit.prune(0, T0 + 10 * day)).toBe(0);
      // Keep 3 days at T0 + 5 days: entries of days 0 and 1 go.
      expect(await keyhold.audit.prune(3, T0 + 5 * day)).toBe(2);
      expect((await store.listAuditChain(0, 10)).map((entry) => entry.seq)).toEqual([3, 4, 5, 6]);
      expect(await keyhold.audit.verify()).toEqual({ ok: true, entries: 4, headSeq: 6 });
      // Everything old: the newest entry stays, the chain goes on from it.
      expect(await keyhold.audit.prune(1, T0 + 100 * day)).toBe(3);
      await store.appendAudit(auditRecord(T0 + 101 * day, actor, "account.create", "later"));
      expect(await keyhold.audit.verify()).toEqual({ ok: true, entries: 2, headSeq: 7 });

      const db = new SQLite(file);
      db.prepare("DELETE FROM audit_log WHERE seq = 6").run();
      db.close();
      expect(await keyhold.audit.verify()).toMatchObject({ ok: false, seq: 7, problem: "missing" });
      const db2 = new SQLite(file);
      db2.prepare(`UPDATE meta SET value = json_set(value, '$.seq', 6) WHERE key = 'audit_checkpoint'`).run();
      db2.close();
      expect(await keyhold.audit.verify()).toMatchObject({ ok: false, id: "checkpoint", problem: "changed" });
      await expect(keyhold.audit.prune(1, T0 + 200 * day)).rejects.toThrow(/does not verify/);
    } finally {
      await keyhold.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
