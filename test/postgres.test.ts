import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { Redis } from "ioredis";
import pg from "pg";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Change } from "../src/core/changes.js";
import { SecretBox } from "../src/core/secret-box.js";
import { createKeyhold } from "../src/core/keyhold.js";
import { CLI_ACTOR } from "../src/core/actor.js";
import { openPostgresStore } from "../src/store/postgres.js";
import { PostgresChangeFeed } from "../src/store/postgres-changes.js";
import { parsePostgresUrl } from "../src/store/postgres-connection.js";
import { openSqliteStore } from "../src/store/sqlite.js";
import { fingerprintStore } from "../src/store/copy.js";
import { newId } from "../src/core/ids.js";
import { dropSchema, schemaUrl, TEST_DATABASE_URL, uniqueSchema } from "./postgres-helpers.js";
import { CLI, cleanEnv, startServer, type ServerProcess } from "./server-process.js";
import { runStoreContract } from "./store-contract.js";

// Everything that needs PostgreSQL lives in this one file: its tests run in order, so the
// database restart at the end cannot disturb another file's PostgreSQL tests.

const run = promisify(execFile);
const ROOT_PASSWORD = "pg-root-password-1";
const REDIS_URL = process.env.KEYHOLD_TEST_REDIS_URL ?? "redis://127.0.0.1:6379";
const schemas: string[] = [];

afterAll(async () => {
  for (const schema of schemas) await dropSchema(schema);
});

function freshSchemaUrl(label: string): string {
  const schema = uniqueSchema(label);
  schemas.push(schema);
  return schemaUrl(schema);
}

runStoreContract("PostgreSQL", async () => openPostgresStore(freshSchemaUrl("contract")));

interface Call {
  status: number;
  body: any;
}

let nextClient = 0;

/**
 * A WHM call as a trusted TLS-terminating proxy would pass it on, from a client address of its own:
 * the refusals these tests wait for must not add up to a brute-force block of one address.
 */
async function whm(server: ServerProcess, fn: string, auth: string, params: Record<string, string> = {}, headers: Record<string, string> = {}): Promise<Call> {
  const client = `10.${(nextClient >> 16) & 255}.${(nextClient >> 8) & 255}.${nextClient++ & 255}`;
  const response = await fetch(`${server.base}/json-api/${fn}`, {
    method: "POST",
    headers: { authorization: auth, "content-type": "application/x-www-form-urlencoded", "x-forwarded-for": client, "x-forwarded-proto": "https", ...headers },
    body: new URLSearchParams({ "api.version": "1", ...params }),
  });
  return { status: response.status, body: await response.json() };
}

const rootBasic = `Basic ${Buffer.from(`root:${ROOT_PASSWORD}`).toString("base64")}`;

/**
 * Sends requests to `server` back to back until `accepted` says no, and returns how long the
 * change took to arrive. Bounded: gives up after `limitMs`.
 */
async function millisecondsUntilRefused(call: () => Promise<Call>, limitMs: number): Promise<number> {
  const started = performance.now();
  for (;;) {
    const { status } = await call();
    const elapsed = performance.now() - started;
    if (status === 401) return elapsed;
    if (elapsed > limitMs) return Number.POSITIVE_INFINITY;
  }
}

describe("the PostgreSQL change feed", () => {
  // Only the channel, which is named after the schema, is used: no tables, nothing to drop.
  const schema = uniqueSchema("feed");
  const feeds: PostgresChangeFeed[] = [];
  afterEach(async () => {
    for (const feed of feeds.splice(0)) await feed.close();
  });

  async function feed(): Promise<PostgresChangeFeed> {
    const started = await PostgresChangeFeed.start(parsePostgresUrl(schemaUrl(schema)), () => {});
    feeds.push(started);
    return started;
  }

  function next(listener: PostgresChangeFeed, kind: Change["kind"]): Promise<Change> {
    return new Promise((resolve) => {
      const stop = listener.subscribe((change) => {
        if (change.kind !== kind) return;
        stop();
        resolve(change);
      });
    });
  }

  it("carries a change from one instance to another", async () => {
    const [a, b] = [await feed(), await feed()];
    const heard = next(b, "credentials");
    await a.publish({ kind: "credentials", accountId: "acct_1" });
    expect(await heard).toEqual({ kind: "credentials", accountId: "acct_1" });
  });

  it("tells the others to resync once it can, when a notice could not be sent", async () => {
    const [a, b] = [await feed(), await feed()];
    // Fault injection: A's notifier fails until the test lets it through again.
    const pool = (a as unknown as { pool: pg.Pool }).pool;
    const query = pool.query.bind(pool);
    let down = true;
    (pool as { query: unknown }).query = (...args: Parameters<typeof query>) => (down ? Promise.reject(new Error("connection lost")) : query(...args));
    const resync = next(b, "resync");
    await a.publish({ kind: "credentials", accountId: "acct_1" });
    down = false;
    expect(await resync).toEqual({ kind: "resync" });
  });
});

describe("several instances on one PostgreSQL database", { timeout: 60_000 }, () => {
  let dataDir: string;
  let a: ServerProcess;
  let b: ServerProcess;
  const redisPrefix = `keyhold-test-${randomBytes(4).toString("hex")}:`;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "keyhold-pg-"));
    const database = freshSchemaUrl("instances");
    const redis = `${REDIS_URL}?prefix=${encodeURIComponent(redisPrefix)}`;
    const args = ["--database", database, "--key-file", join(dataDir, "shared.key"), "--data-dir", dataDir, "--redis", redis, "--trust-proxy", "127.0.0.1", "--log-level", "error"];
    // Both start at once: migrations and root creation must cope with the race.
    [a, b] = await Promise.all([startServer(args, { KEYHOLD_ROOT_PASSWORD: ROOT_PASSWORD }), startServer(args, { KEYHOLD_ROOT_PASSWORD: ROOT_PASSWORD })]);
  });

  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    const redis = new Redis(REDIS_URL);
    const keys = await redis.keys(`${redisPrefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("uses a token created on A on B at once, and B refuses it within a second of its revocation on A", async () => {
    const created = await whm(a, "api_token_create", rootBasic, { token_name: "shared" });
    expect(created.body.metadata.result).toBe(1);
    const token = `whm root:${created.body.data.token}`;
    expect((await whm(b, "version", token)).status).toBe(200);

    const revoked = await whm(a, "api_token_revoke", rootBasic, { token_name: "shared" });
    expect(revoked.body.metadata.result).toBe(1);
    const delay = await millisecondsUntilRefused(() => whm(b, "version", token), 1_000);
    console.log(`revocation on A refused on B after ${delay.toFixed(1)} ms`);
    expect(delay).toBeLessThan(1_000);
  });

  it("enforces whitelist, expiry, access-hash and account changes made on A on B within a second", async () => {
    const created = await whm(a, "api_token_create", rootBasic, { token_name: "narrowed" });
    const token = `whm root:${created.body.data.token}`;
    expect((await whm(b, "version", token)).status).toBe(200);
    await whm(a, "api_token_update", rootBasic, { token_name: "narrowed", whitelist_ip: "192.0.2.1" });
    expect(await millisecondsUntilRefused(() => whm(b, "version", token), 1_000)).toBeLessThan(1_000);

    const expiring = await whm(a, "api_token_create", rootBasic, { token_name: "expiring", expires_at: String(Math.floor(Date.now() / 1000) + 3600) });
    const expiringToken = `whm root:${expiring.body.data.token}`;
    expect((await whm(b, "version", expiringToken)).status).toBe(200);
    // An expiry moved into the past is refused by the API, so shorten it to a second from now.
    await whm(a, "api_token_update", rootBasic, { token_name: "expiring", expires_at: String(Math.floor(Date.now() / 1000) + 1) });
    expect(await millisecondsUntilRefused(() => whm(b, "version", expiringToken), 2_500)).toBeLessThan(2_500);

    await whm(a, "set_tweaksetting", rootBasic, { key: "allow_deprecated_accesshash", value: "1" });
    const first = await whm(a, "accesshash", rootBasic, { generate: "1" });
    const oldHash = `whm root:${first.body.data.accesshash}`;
    const settled = performance.now();
    // The setting itself travels too: B accepts the hash once it has heard of the change.
    while ((await whm(b, "version", oldHash)).status !== 200) expect(performance.now() - settled).toBeLessThan(1_000);
    await whm(a, "accesshash", rootBasic, { generate: "1" });
    expect(await millisecondsUntilRefused(() => whm(b, "version", oldHash), 1_000)).toBeLessThan(1_000);

    await whm(a, "createacct", rootBasic, { username: "gone", password: "gone-password-1", domain: "gone.example.com", reseller: "1" });
    const goneBasic = `Basic ${Buffer.from("gone:gone-password-1").toString("base64")}`;
    const goneToken = await whm(b, "api_token_create", goneBasic, { token_name: "t" });
    const gone = `whm gone:${goneToken.body.data.token}`;
    expect((await whm(b, "version", gone)).status).toBe(200);
    await whm(a, "removeacct", rootBasic, { user: "gone" });
    expect(await millisecondsUntilRefused(() => whm(b, "version", gone), 1_000)).toBeLessThan(1_000);
  });

  it("shares brute-force lockouts through Redis: failures on A and B add up", async () => {
    const attacker = { "x-forwarded-for": "198.51.100.77" };
    const wrong = `Basic ${Buffer.from("root:wrong-password").toString("base64")}`;
    for (const server of [a, b, a, b, a]) expect((await whm(server, "version", wrong, {}, attacker)).status).toBe(401);
    for (const server of [a, b]) {
      const locked = await fetch(`${server.base}/json-api/version?api.version=1`, { headers: { authorization: rootBasic, ...attacker } });
      expect(locked.status).toBe(429);
      expect(Number(locked.headers.get("retry-after"))).toBeGreaterThan(0);
    }
    // Another address is untouched.
    expect((await whm(b, "version", rootBasic, {}, { "x-forwarded-for": "198.51.100.78" })).status).toBe(200);
  });

  it("answers 503 while the database is down and recovers by itself when it returns", async () => {
    const created = await whm(a, "api_token_create", rootBasic, { token_name: "survivor" });
    expect(created.body.metadata).toMatchObject({ result: 1 });
    const token = `whm root:${created.body.data.token}`;
    const cluster = (await run("bash", ["-c", "ls /etc/postgresql"])).stdout.trim();
    await run("pg_ctlcluster", ["--skip-systemctl-redirect", cluster, "main", "stop", "-m", "fast"]);
    try {
      const down = performance.now();
      let outage: Call | undefined;
      // Once A notices the lost connection it forgets its caches, and must not accept unchecked.
      while (performance.now() - down < 10_000) {
        const call = await whm(a, "listaccts", token);
        if (call.status !== 200) {
          outage = call;
          break;
        }
      }
      expect(outage?.status).toBe(503);
      expect(outage?.body.metadata.result).toBe(0);
      expect(outage?.body.metadata.reason).toMatch(/database is unavailable/);
    } finally {
      await run("pg_ctlcluster", ["--skip-systemctl-redirect", cluster, "main", "start"]);
    }
    const up = performance.now();
    let recovered = 0;
    while (performance.now() - up < 20_000 && recovered !== 200) recovered = (await whm(a, "listaccts", token)).status;
    expect(recovered).toBe(200);
    expect(a.child.exitCode).toBeNull();
    // Changes flow between the instances again after the outage.
    await whm(b, "api_token_revoke", rootBasic, { token_name: "survivor" });
    expect(await millisecondsUntilRefused(() => whm(a, "version", token), 1_000)).toBeLessThan(1_000);
  });
});

describe("commands other than serve on a PostgreSQL store", { timeout: 30_000 }, () => {
  it("refuse a schema Keyhold never created, and do not create it", async () => {
    const schema = uniqueSchema("missing");
    schemas.push(schema);
    const dir = mkdtempSync(join(tmpdir(), "keyhold-pg-missing-"));
    try {
      const refused = (await run(process.execPath, [CLI, "account", "list", "--database", schemaUrl(schema), "--data-dir", dir], { env: cleanEnv() }).catch((error: unknown) => error)) as { code?: number; stderr?: string };
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(new RegExp(`^error: No Keyhold store at postgres://.*schema=${schema} \\(schema "${schema}" has no Keyhold tables\\)\\. Create one by running \`keyhold serve --database …\` once`));
      const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
      await client.connect();
      try {
        expect((await client.query("SELECT 1 FROM information_schema.schemata WHERE schema_name = $1", [schema])).rowCount).toBe(0);
      } finally {
        await client.end();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("migrate-store", { timeout: 120_000 }, () => {
  it("copies an SQLite store with thousands of records to PostgreSQL and verifies it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "keyhold-migrate-"));
    try {
      const sqlite = join(dir, "keyhold.sqlite");
      const source = await openSqliteStore(sqlite);
      const keyhold = await createKeyhold({ store: source, secretBox: new SecretBox(randomBytes(32)) });
      await keyhold.accounts.ensureRoot("migrate-root-1");
      const root = (await source.getAccountByUsername("root"))!;
      const now = Date.now();
      await source.transaction(async (tx) => {
        for (let i = 0; i < 1500; i++) {
          await tx.insertAccount({ id: newId("acct"), username: `user${i}`, role: "user", owner: "root", domain: `d${i}.example.com`, acls: [], passwordHash: null, createdAt: now });
          await tx.appendAudit({ id: newId("aud"), at: now + i, actor: "root", ip: "cli", action: "account.create", target: `user${i}`, outcome: "success", detail: { n: i } });
        }
      });
      for (let i = 0; i < 500; i++) await keyhold.tokens.create(CLI_ACTOR, "root", { name: `t${i}`, whitelistIps: ["10.0.0.0/8"] });
      await keyhold.accessHashes.generate(CLI_ACTOR, "root");
      await keyhold.settings.set(CLI_ACTOR, "max_failures_byip", "7");
      const expected = await fingerprintStore(source);
      await keyhold.close();

      const target = freshSchemaUrl("migrate");
      const first = await run(process.execPath, [CLI, "migrate-store", "--from", sqlite, "--to", target], { env: cleanEnv() });
      expect(first.stdout).toMatch(/accounts\s+1501 copied\s+verified/);
      expect(first.stdout).toMatch(/api_tokens\s+500 copied\s+verified/);
      expect(first.stdout).not.toMatch(/MISMATCH/);

      const copied = await openPostgresStore(target);
      expect(await fingerprintStore(copied)).toEqual(expected);
      expect((await copied.getAccountByUsername("root"))?.id).toBe(root.id);
      await copied.close();

      // A second run refuses to overwrite, and --force replaces.
      const refused = await run(process.execPath, [CLI, "migrate-store", "--from", sqlite, "--to", target], { env: cleanEnv() }).catch((error: { code: number; stderr: string }) => error);
      expect((refused as { code: number }).code).toBe(1);
      expect((refused as { stderr: string }).stderr).toMatch(/not empty/);
      const forced = await run(process.execPath, [CLI, "migrate-store", "--from", sqlite, "--to", target, "--force"], { env: cleanEnv() });
      expect(forced.stdout).toMatch(/complete and verified/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
