import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { LightMyRequestResponse } from "fastify";
import { Redis } from "ioredis";
import { afterEach, describe, expect, it, vi } from "vitest";
import { bruteForceCommand } from "../src/cli/commands/brute-force.js";
import { openKeyhold } from "../src/cli/context.js";
import { resolveStoreLocation } from "../src/config.js";
import { RedisAttemptStore } from "../src/store/redis-attempts.js";
import { CountingHasher, settledCount } from "./security/brute-force-helpers.js";
import { ROOT, ROOT_PASSWORD, accountFixtures, basic, basicHeader, createTestApp, form, whmVersion, type Auth, type TestApp, type TestAppOptions, type WhmResult } from "./harness.js";

// cPHulk-style brute-force protection with cPHulk's defaults (reference §6; issue 2).

let t: TestApp;
afterEach(async () => t?.close());
const { createReseller } = accountFixtures(() => t);

const MINUTE = 60_000;
const ATTACKER = "198.51.100.66";
const BYSTANDER = "198.51.100.77";
const WRONG = "Wrong-Password-1";

async function version(auth: Auth, ip: string): Promise<WhmResult> {
  return t.whm("version", {}, auth, ip);
}

async function login(user: string, pass: string, ip: string): Promise<LightMyRequestResponse> {
  return t.app.inject({
    method: "POST",
    url: "/login",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    payload: form({ user, pass }),
    remoteAddress: ip,
  });
}

async function fail(times: number, ip: string, username = "root"): Promise<void> {
  for (let i = 0; i < times; i++) {
    const result = await version(basic(username, `${WRONG}-${i}`), ip);
    expect(result.status, `failure ${i + 1} from ${ip}`).toBe(401);
  }
}

function expectLocked(status: number, headers: Record<string, unknown>, body: string): void {
  expect(status, body).toBe(429);
  expect(headers["retry-after"]).toMatch(/^\d+$/);
  expect(Number(headers["retry-after"])).toBeGreaterThan(0);
}

function expectLockedWhm(result: WhmResult): void {
  expectLocked(result.status, result.response.headers, result.response.body);
  expect(result.body.metadata.result).toBe(0);
  expect(result.body.metadata.reason).toMatch(/[Tt]oo many failed logins/);
}

async function setting(key: string, value: string): Promise<void> {
  const result = await t.whm("set_tweaksetting", { key, value });
  expect(result.body.metadata.result, result.body.metadata.reason).toBe(1);
}

async function withToken(options: TestAppOptions = {}): Promise<string> {
  t = await createTestApp(options);
  const created = await t.whm("api_token_create", { token_name: "client" });
  expect(created.body.metadata.result).toBe(1);
  return created.body.data.token as string;
}

describe("per-IP blocking: 5 failures from one IP within 15 minutes", () => {
  it("the 5th failure is still a 401; afterwards the IP gets 429 with Retry-After, even with the right password", async () => {
    t = await createTestApp();
    await fail(4, ATTACKER);
    expect((await version(ROOT, ATTACKER)).status).toBe(200);
    await fail(1, ATTACKER);
    const blocked = await version(ROOT, ATTACKER);
    expectLockedWhm(blocked);
    expect(blocked.response.headers["retry-after"]).toBe(String(15 * 60));
    expect(blocked.response.body).not.toContain(ROOT_PASSWORD);
  });

  it("counts failures of every scheme together, and blocks every scheme", async () => {
    const token = await withToken();
    // Two wrong Basic passwords, two wrong tokens, one wrong session login.
    await fail(2, ATTACKER);
    expect((await version({ whm: ["root", "WRONGTOKEN0000000000000000000000"] }, ATTACKER)).status).toBe(401);
    expect((await version({ header: "WHM root:0123456789abcdef" }, ATTACKER)).status).toBe(401);
    expect((await login("root", WRONG, ATTACKER)).statusCode).toBe(401);

    expectLockedWhm(await version(ROOT, ATTACKER));
    expectLockedWhm(await version({ whm: ["root", token] }, ATTACKER));
    expectLockedWhm(await version({ header: `WHM root:${token}` }, ATTACKER));
    const sessionLogin = await login("root", ROOT_PASSWORD, ATTACKER);
    expectLocked(sessionLogin.statusCode, sessionLogin.headers, sessionLogin.body);
    expect(sessionLogin.headers.location).toBeUndefined();
    expect(sessionLogin.cookies.find((c) => c.name === "whostmgrsession")).toBeUndefined();
  });

  it("blocks a session that was opened before the block", async () => {
    t = await createTestApp();
    const opened = await login("root", ROOT_PASSWORD, ATTACKER);
    expect(opened.statusCode).toBe(302);
    const cookie = opened.cookies.find((c) => c.name === "whostmgrsession")!.value;
    const url = `${opened.headers.location as string}json-api/version?api.version=1`;
    const useSession = () => t.app.inject({ method: "GET", url, headers: { cookie: `whostmgrsession=${cookie}` }, remoteAddress: ATTACKER });
    expect((await useSession()).statusCode).toBe(200);
    await fail(5, ATTACKER);
    const blocked = await useSession();
    expectLocked(blocked.statusCode, blocked.headers, blocked.body);
  });

  it("blocks access-hash authentication too", async () => {
    t = await createTestApp({ settings: { allow_deprecated_accesshash: "1" } });
    const generated = await t.whm("accesshash", { generate: "1" });
    const hash = generated.body.data.accesshash as string;
    expect((await version({ whm: ["root", hash] }, ATTACKER)).status).toBe(200);
    await fail(5, ATTACKER);
    expectLockedWhm(await version({ whm: ["root", hash] }, ATTACKER));
  });

  it("leaves other IPs unaffected", async () => {
    const token = await withToken();
    await fail(5, ATTACKER);
    expectLockedWhm(await version(ROOT, ATTACKER));
    expect((await version(ROOT, BYSTANDER)).status).toBe(200);
    expect((await version({ whm: ["root", token] }, BYSTANDER)).status).toBe(200);
    expect((await login("root", ROOT_PASSWORD, BYSTANDER)).statusCode).toBe(302);
    expect((await version(ROOT, "2001:db8::1")).status).toBe(200);
  });

  it("does not count failures older than the 15-minute window", async () => {
    t = await createTestApp();
    await fail(4, ATTACKER);
    t.clock.advance(15 * MINUTE + 1000);
    await fail(4, ATTACKER);
    expect((await version(ROOT, ATTACKER)).status).toBe(200);
    await fail(1, ATTACKER);
    expectLockedWhm(await version(ROOT, ATTACKER));
  });

  it("lifts the block when the window has passed, and Retry-After counts down", async () => {
    t = await createTestApp();
    await fail(5, ATTACKER);
    t.clock.advance(10 * MINUTE);
    const stillBlocked = await version(ROOT, ATTACKER);
    expectLockedWhm(stillBlocked);
    expect(stillBlocked.response.headers["retry-after"]).toBe(String(5 * 60));
    t.clock.advance(5 * MINUTE - 1000);
    expectLockedWhm(await version(ROOT, ATTACKER));
    t.clock.advance(2000);
    expect((await version(ROOT, ATTACKER)).status).toBe(200);
    expect((await login("root", ROOT_PASSWORD, ATTACKER)).statusCode).toBe(302);
  });

  it("does not count requests refused while blocked as further failures", async () => {
    t = await createTestApp();
    await fail(5, ATTACKER);
    for (let i = 0; i < 10; i++) expectLockedWhm(await version(basic("root", WRONG), ATTACKER));
    t.clock.advance(15 * MINUTE + 1000);
    expect((await version(ROOT, ATTACKER)).status).toBe(200);
  });

  it("does not count a privilege refusal as a failed login", async () => {
    t = await createTestApp();
    await createReseller("res");
    for (let i = 0; i < 8; i++) {
      const refused = await t.whm("listresellers", {}, basic("res", "res-password-1"), ATTACKER);
      expect(refused.status).toBe(200);
      expect(refused.body.metadata.result).toBe(0);
    }
    expect((await version(basic("res", "res-password-1"), ATTACKER)).status).toBe(200);
  });
});

describe("per-account locking: 15 failures for one account", () => {
  it("locks the account's password logins from every IP, while other accounts work", async () => {
    t = await createTestApp();
    await createReseller("alice");
    await createReseller("bob");
    for (let i = 0; i < 14; i++) expect((await version(basic("alice", WRONG), `203.0.113.${i + 1}`)).status).toBe(401);
    expect((await version(basic("alice", "alice-password-1"), "203.0.113.100")).status).toBe(200);
    expect((await version(basic("alice", WRONG), "203.0.113.15")).status).toBe(401);

    const locked = await version(basic("alice", "alice-password-1"), "203.0.113.200");
    expectLockedWhm(locked);
    expect(locked.response.headers["retry-after"]).toBe(String(5 * 60));
    const sessionLogin = await login("alice", "alice-password-1", "203.0.113.201");
    expectLocked(sessionLogin.statusCode, sessionLogin.headers, sessionLogin.body);

    // No single IP was blocked, and other accounts are untouched.
    expect((await version(basic("bob", "bob-password-1"), "203.0.113.1")).status).toBe(200);
    expect((await version(ROOT, "203.0.113.2")).status).toBe(200);
    expect((await login("bob", "bob-password-1", "203.0.113.3")).statusCode).toBe(302);
  });

  it("does not lock the account's API tokens, which an attacker cannot guess", async () => {
    t = await createTestApp();
    await createReseller("alice");
    const created = await t.whm("api_token_create", { token_name: "billing" }, basic("alice", "alice-password-1"));
    const token = created.body.data.token as string;
    for (let i = 0; i < 15; i++) await version(basic("alice", WRONG), `203.0.113.${i + 1}`);
    expectLockedWhm(await version(basic("alice", "alice-password-1"), "203.0.113.100"));
    expect((await version({ whm: ["alice", token] }, "203.0.113.100")).status).toBe(200);
  });

  it("unlocks the account after the account period", async () => {
    t = await createTestApp();
    await createReseller("alice");
    for (let i = 0; i < 15; i++) await version(basic("alice", WRONG), `203.0.113.${i + 1}`);
    expectLockedWhm(await version(basic("alice", "alice-password-1"), "203.0.113.100"));
    t.clock.advance(5 * MINUTE + 1000);
    expect((await version(basic("alice", "alice-password-1"), "203.0.113.100")).status).toBe(200);
  });

  it("counts failures for an unknown account name without creating anything", async () => {
    t = await createTestApp();
    for (let i = 0; i < 15; i++) expect((await version(basic("ghost", WRONG), `203.0.113.${i + 1}`)).status).toBe(401);
    expectLockedWhm(await version(basic("ghost", WRONG), "203.0.113.100"));
    expect(await t.store.getAccountByUsername("ghost")).toBeNull();
    expect((await version(ROOT, "203.0.113.100")).status).toBe(200);
  });
});

describe("configurable through set_tweaksetting", () => {
  it("max_failures_byip and ip_brute_force_period_mins", async () => {
    t = await createTestApp();
    await setting("max_failures_byip", "2");
    await setting("ip_brute_force_period_mins", "1");
    await fail(1, ATTACKER);
    expect((await version(ROOT, ATTACKER)).status).toBe(200);
    await fail(1, ATTACKER);
    const blocked = await version(ROOT, ATTACKER);
    expectLockedWhm(blocked);
    expect(blocked.response.headers["retry-after"]).toBe("60");
    t.clock.advance(MINUTE + 1000);
    expect((await version(ROOT, ATTACKER)).status).toBe(200);
  });

  it("a higher max_failures_byip allows more attempts", async () => {
    t = await createTestApp();
    await setting("max_failures_byip", "8");
    await fail(7, ATTACKER);
    expect((await version(ROOT, ATTACKER)).status).toBe(200);
    await fail(1, ATTACKER);
    expectLockedWhm(await version(ROOT, ATTACKER));
  });

  it("max_failures and brute_force_period_mins", async () => {
    t = await createTestApp();
    await createReseller("alice");
    await setting("max_failures", "3");
    await setting("brute_force_period_mins", "2");
    for (let i = 0; i < 3; i++) await version(basic("alice", WRONG), `203.0.113.${i + 1}`);
    const locked = await version(basic("alice", "alice-password-1"), "203.0.113.100");
    expectLockedWhm(locked);
    expect(locked.response.headers["retry-after"]).toBe("120");
    t.clock.advance(2 * MINUTE + 1000);
    expect((await version(basic("alice", "alice-password-1"), "203.0.113.100")).status).toBe(200);
  });

  it("mark_as_brute blocks an IP for a day", async () => {
    t = await createTestApp();
    await setting("max_failures_byip", "100");
    await setting("mark_as_brute", "3");
    await fail(3, ATTACKER);
    const blocked = await version(ROOT, ATTACKER);
    expectLockedWhm(blocked);
    expect(blocked.response.headers["retry-after"]).toBe(String(24 * 60 * 60));
    t.clock.advance(60 * MINUTE);
    expectLockedWhm(await version(ROOT, ATTACKER));
    t.clock.advance(23 * 60 * MINUTE + 1000);
    expect((await version(ROOT, ATTACKER)).status).toBe(200);
  });

  it("ip_based_protection=0 turns the per-IP block off", async () => {
    t = await createTestApp();
    await setting("ip_based_protection", "0");
    await fail(10, ATTACKER);
    expect((await version(ROOT, ATTACKER)).status).toBe(200);
  });

  it("username_based_protection=0 turns the per-account lock off", async () => {
    t = await createTestApp();
    await createReseller("alice");
    await setting("username_based_protection", "0");
    for (let i = 0; i < 16; i++) await version(basic("alice", WRONG), `203.0.113.${i + 1}`);
    expect((await version(basic("alice", "alice-password-1"), "203.0.113.100")).status).toBe(200);
  });

  it("refuses values out of range and keeps the defaults", async () => {
    t = await createTestApp();
    for (const [key, value] of [
      ["max_failures_byip", "0"],
      ["max_failures_byip", "-5"],
      ["ip_brute_force_period_mins", "0"],
      ["max_failures", "lots"],
      ["ip_based_protection", "2"],
    ] as const) {
      const result = await t.whm("set_tweaksetting", { key, value });
      expect(result.body.metadata.result, `${key}=${value}`).toBe(0);
    }
    await fail(5, ATTACKER);
    expectLockedWhm(await version(ROOT, ATTACKER));
  });

  it("can be set with the settings given to the app", async () => {
    t = await createTestApp({ settings: { max_failures_byip: "1" } });
    await fail(1, ATTACKER);
    expectLockedWhm(await version(ROOT, ATTACKER));
  });
});

describe("the audit log", () => {
  it("records each failed login with time, IP, user and scheme, and never the secret", async () => {
    const token = await withToken();
    const wrongToken = token.slice(0, -2) + (token.endsWith("AA") ? "BB" : "AA");
    await version(basic("root", "Secret-Guess-One"), ATTACKER);
    await version({ whm: ["root", wrongToken] }, ATTACKER);
    await login("root", "Secret-Guess-Two", BYSTANDER);
    await version(basic("ghost", "Secret-Guess-Three"), BYSTANDER);

    const entries = (await t.keyhold.audit.list({ limit: 100 })).filter((entry) => entry.action === "login.failure");
    expect(entries).toHaveLength(4);
    for (const entry of entries) {
      expect(entry.at).toBe(t.clock.now());
      expect(entry.outcome).toBe("failure");
    }
    expect(entries.filter((entry) => entry.ip === ATTACKER)).toHaveLength(2);
    expect(entries.filter((entry) => entry.ip === BYSTANDER)).toHaveLength(2);
    expect(entries.some((entry) => entry.target === "ghost" || entry.actor === "ghost")).toBe(true);
    expect(entries.some((entry) => entry.detail.scheme === "whm")).toBe(true);
    expect(entries.filter((entry) => entry.detail.scheme === "password")).toHaveLength(3);

    const text = JSON.stringify(await t.keyhold.audit.list({ limit: 100 }));
    for (const secret of ["Secret-Guess-One", "Secret-Guess-Two", "Secret-Guess-Three", wrongToken, token, ROOT_PASSWORD]) {
      expect(text, secret).not.toContain(secret);
    }
  });

  it("does not record a successful login as a failure", async () => {
    t = await createTestApp();
    expect((await version(ROOT, ATTACKER)).status).toBe(200);
    expect(await t.keyhold.audit.list({ limit: 100, action: "login.failure" })).toEqual([]);
  });

  it("records a user name with control characters without storing them raw", async () => {
    t = await createTestApp();
    const response = await version({ header: basicHeader(`evil${"\u001b"}[31m`, "password") }, ATTACKER);
    expect(response.status).toBe(400);
    const text = JSON.stringify(await t.keyhold.audit.list({ limit: 100 }));
    expect(text).not.toContain("\\u001b");
  });
});

// Issue 11 item 2 with the shared store: reservations are atomic in Redis (one Lua script), so
// two instances bursting at once still evaluate no more than the limit between them.
describe("with Redis (KEYHOLD_TEST_REDIS_URL, default redis://127.0.0.1:6379)", () => {
  const REDIS_URL = process.env.KEYHOLD_TEST_REDIS_URL ?? "redis://127.0.0.1:6379";
  const apps: TestApp[] = [];
  let prefix = "";
  afterEach(async () => {
    for (const app of apps.splice(0)) await app.close();
    const redis = new Redis(REDIS_URL);
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
  });

  async function instance(hasher: CountingHasher): Promise<TestApp> {
    const app = await createTestApp({ keyhold: { attempts: new RedisAttemptStore(`${REDIS_URL}?prefix=${encodeURIComponent(prefix)}`), passwordHasher: hasher, hashingLimits: { perAddress: 1000, overall: 1000, queue: 1000 } } });
    apps.push(app);
    return app;
  }

  it("two instances, 150 concurrent wrong passwords each from one address: at most 5 hashed in all, then blocked on both; a flush through either lifts it on both", async () => {
    prefix = `keyhold-test-${randomBytes(4).toString("hex")}:`;
    const hashers = [new CountingHasher(true), new CountingHasher(true)];
    const [a, b] = [await instance(hashers[0]!), await instance(hashers[1]!)];
    const call = (app: TestApp, password: string) =>
      whmVersion(app, basicHeader("root", password), ATTACKER);
    const all = [a!, b!].flatMap((app) => Array.from({ length: 150 }, (_, i) => call(app, `${WRONG}-${i}`)));
    const total = () => hashers[0]!.verified + hashers[1]!.verified;
    const sixth = new Promise<void>((resolve) => {
      const poll = () => (total() > 5 ? resolve() : setImmediate(poll));
      poll();
    });
    await Promise.race([settledCount(all, all.length - 5), sixth]);
    for (const hasher of hashers) hasher.open();
    const statuses = (await Promise.all(all)).map((response) => response.statusCode);
    expect(total()).toBeLessThanOrEqual(5);
    expect(statuses.filter((status) => status === 401).length).toBeLessThanOrEqual(5);
    expect(statuses.filter((status) => status !== 401 && status !== 429)).toEqual([]);

    expect((await call(a!, ROOT_PASSWORD)).statusCode).toBe(429);
    expect((await call(b!, ROOT_PASSWORD)).statusCode).toBe(429);
    expect((await a!.keyhold.bruteForce.list(a!.clock.now())).map((block) => block.key)).toContain(`ip:${ATTACKER}`);
    expect(await b!.keyhold.bruteForce.flush(ATTACKER, b!.clock.now())).toEqual([`ip:${ATTACKER}`]);
    expect((await call(a!, ROOT_PASSWORD)).statusCode).toBe(200);
  });

  it("keyhold brute-force --redis lists and flushes the blocks every instance reads, without the server", async () => {
    prefix = `keyhold-test-${randomBytes(4).toString("hex")}:`;
    const redisUrl = `${REDIS_URL}?prefix=${encodeURIComponent(prefix)}`;
    const app = await instance(new CountingHasher(false));
    // The CLI reads the real clock; so must the server whose blocks it lists.
    app.clock.current = Date.now();
    for (let i = 0; i < 5; i++) await whmVersion(app, basicHeader("root", `${WRONG}-${i}`), ATTACKER);
    const dataDir = mkdtempSync(join(tmpdir(), "keyhold-bf-"));
    try {
      const store = await openKeyhold(resolveStoreLocation({ dataDir }, {}), { create: true });
      await store.close();
      const cli = async (args: string[]): Promise<string> => {
        let out = "";
        vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
          out += String(chunk);
          return true;
        });
        try {
          await bruteForceCommand().exitOverride().parseAsync([...args, "--redis", redisUrl, "--data-dir", dataDir], { from: "user" });
        } finally {
          vi.restoreAllMocks();
        }
        return out;
      };
      expect(JSON.parse(await cli(["list", "--json"]))).toContainEqual(expect.objectContaining({ key: `ip:${ATTACKER}`, failures: 5 }));
      expect(await cli(["flush", ATTACKER])).toBe(`Flushed ip:${ATTACKER}\n`);
      const after = await whmVersion(app, basicHeader("root", ROOT_PASSWORD), ATTACKER);
      expect(after.statusCode).toBe(200);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it("the same rules as in memory: 5 failures block, a success releases its reservation", async () => {
    prefix = `keyhold-test-${randomBytes(4).toString("hex")}:`;
    const app = await instance(new CountingHasher(false));
    const call = (password: string) => whmVersion(app, basicHeader("root", password), ATTACKER);
    for (let i = 0; i < 10; i++) expect((await call(ROOT_PASSWORD)).statusCode).toBe(200);
    for (let i = 0; i < 4; i++) expect((await call(`${WRONG}-${i}`)).statusCode).toBe(401);
    expect((await call(ROOT_PASSWORD)).statusCode).toBe(200);
    expect((await call(`${WRONG}-5`)).statusCode).toBe(401);
    const blocked = await call(ROOT_PASSWORD);
    expect(blocked.statusCode).toBe(429);
    expect(blocked.headers["retry-after"]).toBe(String(15 * 60));
  });
});
