import type { LightMyRequestResponse } from "fastify";
import { afterEach, describe, expect, it, vi } from "vitest";
import { bruteForceCommand } from "../../src/cli/commands/brute-force.js";
import { CLI_ACTOR } from "../../src/core/actor.js";
import { ROOT_PASSWORD, basicHeader, createTestApp, listenOnLoopback, whmVersion, type TestApp } from "../harness.js";

// Issue 11 item 10: five mistakes on localhost blocked everything for 15 minutes with no
// documented way out but a restart. Root can now list and flush blocks (REST, Tweak Settings,
// `keyhold brute-force`), the 429 says how, and the audit log names what went wrong.

let t: TestApp | undefined;
afterEach(async () => {
  vi.restoreAllMocks();
  await t?.close();
  t = undefined;
});

const NEWCOMER = "127.0.0.1";
const ROOT_AUTH = { authorization: basicHeader("root", ROOT_PASSWORD) };

function version(app: TestApp, password: string, ip: string, username = "root"): Promise<LightMyRequestResponse> {
  return whmVersion(app, basicHeader(username, password), ip);
}

async function lockOut(app: TestApp, ip: string): Promise<void> {
  for (let i = 0; i < 5; i++) expect((await version(app, `wrong-${i}`, ip)).statusCode).toBe(401);
  expect((await version(app, ROOT_PASSWORD, ip)).statusCode).toBe(429);
}

describe("the 429 says how to get out", () => {
  it("names the flush command, Tweak Settings and the wait", async () => {
    const app = (t = await createTestApp());
    await lockOut(app, NEWCOMER);
    const reason = (await version(app, ROOT_PASSWORD, NEWCOMER)).json().metadata.reason as string;
    expect(reason).toMatch(/try again in 900 seconds/);
    expect(reason).toContain("keyhold brute-force flush");
    expect(reason).toContain("Tweak Settings");
  });
});

describe("REST /api/v1/brute-force (root)", () => {
  it("lists the block and flushes one address, from another address", async () => {
    const app = (t = await createTestApp());
    await lockOut(app, NEWCOMER);
    await lockOut(app, "198.51.100.9");
    const listed = await app.app.inject({ method: "GET", url: "/api/v1/brute-force", headers: ROOT_AUTH, remoteAddress: "192.0.2.1" });
    expect(listed.statusCode, listed.body).toBe(200);
    expect(listed.json().msg).toContainEqual({ key: "ip:127.0.0.1", kind: "ip", failures: 5, blocked_until: app.clock.now() + 15 * 60_000, retry_after: 900 });

    const flushed = await app.app.inject({ method: "DELETE", url: "/api/v1/brute-force/127.0.0.1", headers: ROOT_AUTH, remoteAddress: "192.0.2.1" });
    expect(flushed.json().msg).toEqual({ flushed: ["ip:127.0.0.1"] });
    expect((await version(app, ROOT_PASSWORD, NEWCOMER)).statusCode).toBe(200);
    expect((await version(app, ROOT_PASSWORD, "198.51.100.9")).statusCode).toBe(429);
    const audit = await app.keyhold.audit.list({ action: "brute-force.flush", limit: 5 });
    expect(audit[0]).toMatchObject({ actor: "root", target: "127.0.0.1", detail: { flushed: 1 } });

    const all = await app.app.inject({ method: "DELETE", url: "/api/v1/brute-force", headers: ROOT_AUTH, remoteAddress: "192.0.2.1" });
    expect(all.json().msg.flushed).toContain("ip:198.51.100.9");
    expect((await version(app, ROOT_PASSWORD, "198.51.100.9")).statusCode).toBe(200);
  });

  it("flushes a user's account lock by name", async () => {
    const app = (t = await createTestApp({ settings: { max_failures: "3" } }));
    for (let i = 0; i < 3; i++) await version(app, "wrong", `203.0.113.${i + 1}`);
    expect((await version(app, ROOT_PASSWORD, "203.0.113.50")).statusCode).toBe(429);
    const flushed = await app.app.inject({ method: "DELETE", url: "/api/v1/brute-force/root", headers: { authorization: `whm root:${(await app.keyhold.tokens.create(CLI_ACTOR, "root", { name: "ops" })).token}` } });
    expect(flushed.json().msg).toEqual({ flushed: ["account:root"] });
    expect((await version(app, ROOT_PASSWORD, "203.0.113.50")).statusCode).toBe(200);
  });

  it("refuses anyone but root, and a control character as the target", async () => {
    const app = (t = await createTestApp());
    await app.keyhold.accounts.create(CLI_ACTOR, { username: "res", password: "res-password-1", domain: "res.example.com", reseller: true });
    await lockOut(app, NEWCOMER);
    const reseller = { authorization: basicHeader("res", "res-password-1") };
    for (const [method, url] of [["GET", "/api/v1/brute-force"], ["DELETE", "/api/v1/brute-force"], ["DELETE", "/api/v1/brute-force/127.0.0.1"]] as const) {
      const refused = await app.app.inject({ method, url, headers: reseller, remoteAddress: "192.0.2.2" });
      expect(refused.statusCode, `${method} ${url}`).toBe(403);
      expect(refused.json().status).toBe("error");
    }
    expect((await version(app, ROOT_PASSWORD, NEWCOMER)).statusCode).toBe(429);
    const bad = await app.app.inject({ method: "DELETE", url: "/api/v1/brute-force/%0a", headers: ROOT_AUTH, remoteAddress: "192.0.2.1" });
    expect(bad.statusCode, bad.body).toBe(400);
  });

  it("from the blocked address itself, a root API token gets through to the flush; a password there does not", async () => {
    const app = (t = await createTestApp());
    const { token } = await app.keyhold.tokens.create(CLI_ACTOR, "root", { name: "ops" });
    await lockOut(app, NEWCOMER);
    const byPassword = await app.app.inject({ method: "DELETE", url: "/api/v1/brute-force", headers: ROOT_AUTH, remoteAddress: NEWCOMER });
    expect(byPassword.statusCode).toBe(429);
    const wrongToken = await app.app.inject({ method: "DELETE", url: "/api/v1/brute-force", headers: { authorization: "whm root:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" }, remoteAddress: NEWCOMER });
    expect(wrongToken.statusCode).toBe(401);
    // Elsewhere the block holds for tokens too.
    expect((await app.app.inject({ method: "GET", url: "/api/v1/accounts", headers: { authorization: `whm root:${token}` }, remoteAddress: NEWCOMER })).statusCode).toBe(429);
    const flushed = await app.app.inject({ method: "DELETE", url: "/api/v1/brute-force", headers: { authorization: `whm root:${token}` }, remoteAddress: NEWCOMER });
    expect(flushed.statusCode, flushed.body).toBe(200);
    expect((await version(app, ROOT_PASSWORD, NEWCOMER)).statusCode).toBe(200);
  });

  it("appears in the OpenAPI document", async () => {
    const app = (t = await createTestApp());
    const paths = Object.keys((await app.app.inject({ url: "/api/v1/openapi.json" })).json().paths);
    expect(paths).toEqual(expect.arrayContaining(["/api/v1/brute-force", "/api/v1/brute-force/{target}"]));
  });
});

describe("keyhold brute-force, from another process than the server", () => {
  async function cli(args: string[]): Promise<string> {
    let out = "";
    vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
      out += String(chunk);
      return true;
    });
    try {
      await bruteForceCommand().exitOverride().parseAsync(args, { from: "user" });
    } finally {
      vi.restoreAllMocks();
    }
    return out;
  }

  it("lists and flushes through the running server's REST API with a root token", async () => {
    const app = (t = await createTestApp());
    const url = `http://127.0.0.1:${await listenOnLoopback(app.app)}`;
    const { token } = await app.keyhold.tokens.create(CLI_ACTOR, "root", { name: "cli" });
    await lockOut(app, NEWCOMER);

    const listed = JSON.parse(await cli(["list", "--url", url, "--token", token, "--json"]));
    expect(listed).toContainEqual(expect.objectContaining({ key: "ip:127.0.0.1", retry_after: 900 }));
    expect(await cli(["list", "--url", url, "--token", token])).toMatch(/^KEY\s+KIND\s+FAILURES\s+BLOCKED_UNTIL\s+RETRY_AFTER\nip:127\.0\.0\.1\s+ip\s+5\s+2026-/);
    expect(await cli(["flush", "127.0.0.1", "--url", url, "--token", token])).toBe("Flushed ip:127.0.0.1\n");
    expect((await version(app, ROOT_PASSWORD, NEWCOMER)).statusCode).toBe(200);
    // The account's five failures were counted too (below its limit of 15); a flush of all forgets them.
    expect(await cli(["flush", "--url", url, "--token", token])).toBe("Flushed account:root\n");
    expect(await cli(["flush", "--url", url, "--token", token, "--json"])).toBe(`${JSON.stringify({ flushed: [] }, null, 2)}\n`);
  });

  it("without a token it says where the blocks live and what to give, instead of flushing nothing", async () => {
    const saved = process.env.KEYHOLD_TOKEN;
    const savedRedis = process.env.KEYHOLD_REDIS_URL;
    delete process.env.KEYHOLD_TOKEN;
    delete process.env.KEYHOLD_REDIS_URL;
    try {
      await expect(cli(["flush", "127.0.0.1"])).rejects.toThrow(/running server's memory.*KEYHOLD_TOKEN.*--redis/s);
    } finally {
      if (saved !== undefined) process.env.KEYHOLD_TOKEN = saved;
      if (savedRedis !== undefined) process.env.KEYHOLD_REDIS_URL = savedRedis;
    }
  });
});

describe("audit codes a reader understands, kept from clients", () => {
  it("BAD_PASSWORD and UNKNOWN_USER in the audit log; the same answer for both on the wire", async () => {
    const app = (t = await createTestApp());
    const wrongPassword = await version(app, "not-it", "192.0.2.60");
    const unknownUser = await version(app, "not-it", "192.0.2.61", "ghost");
    expect(unknownUser.statusCode).toBe(wrongPassword.statusCode);
    expect(unknownUser.body).toBe(wrongPassword.body);
    const wrongToken = await whmVersion(app, "whm root:NOTATOKEN", "192.0.2.62");
    expect(wrongToken.statusCode).toBe(401);
    const codes = (await app.keyhold.audit.list({ action: "login.failure", limit: 10 })).map((entry) => [entry.ip, entry.detail.code, entry.detail.counted]);
    expect(codes).toEqual(
      expect.arrayContaining([
        ["192.0.2.60", "BAD_PASSWORD", true],
        ["192.0.2.61", "UNKNOWN_USER", true],
        ["192.0.2.62", "BAD_TOKEN", true],
      ]),
    );
    expect(JSON.stringify(await app.keyhold.audit.list({ limit: 50 }))).not.toContain("not-it");
  });
});
