import type { LightMyRequestResponse } from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import { CLI_ACTOR } from "../src/core/actor.js";
import { KNOWN_ACLS } from "../src/core/acl.js";
import { ROOT, ROOT_PASSWORD, accountFixtures, authorization, b64, basic, createTestApp, type Auth, type TestApp } from "./harness.js";

// POST /api/v1/verify (issue 7 §1): another application asks whether the credential its client
// sent is good. An invalid credential is an answer (200, valid: false), not an HTTP error.

let t: TestApp;
afterEach(async () => t?.close());
// Accounts made through the domain: no WHM request precedes the ones under test.
const { createReseller } = accountFixtures(() => t, { via: "core" });

const MINUTE = 60_000;
const CLIENT = "198.51.100.20";

interface VerifyBody {
  authorization?: string;
  access_hash?: string;
  ip?: string;
  acls?: string[];
}

async function verify(body: VerifyBody, caller: Auth = ROOT, remoteAddress = "127.0.0.1"): Promise<LightMyRequestResponse> {
  return t.app.inject({
    method: "POST",
    url: "/api/v1/verify",
    headers: { "content-type": "application/json", ...authorization(caller) },
    payload: JSON.stringify(body),
    remoteAddress,
  });
}

/** The answer of a verify call that must succeed as an HTTP exchange. */
async function answer(body: VerifyBody, caller: Auth = ROOT, remoteAddress = "127.0.0.1"): Promise<Record<string, any>> {
  const response = await verify(body, caller, remoteAddress);
  expect(response.statusCode, response.body).toBe(200);
  const json = response.json();
  expect(json.status).toBe("success");
  expect(json.error).toBe("");
  return json.msg;
}

function expectErrorEnvelope(response: LightMyRequestResponse, status: number, message?: RegExp): void {
  expect(response.statusCode, response.body).toBe(status);
  const json = response.json();
  expect(json).toEqual({ error: expect.any(String), msg: "", status: "error" });
  expect(json.error).not.toBe("");
  if (message !== undefined) expect(json.error).toMatch(message);
}

function expectInvalid(msg: Record<string, any>, code: string): void {
  expect(msg.valid).toBe(false);
  expect(msg.code).toBe(code);
  // Nothing about the account leaks through a failed verification.
  expect(msg.user).toBeUndefined();
  expect(msg.role).toBeUndefined();
  expect(msg.acls).toBeUndefined();
  expect(msg.credential).toBeUndefined();
}

async function rootToken(name: string, input: { acls?: string[]; expiresAt?: string; whitelistIps?: string[] } = {}): Promise<{ id: string; token: string }> {
  const created = await t.keyhold.tokens.create(CLI_ACTOR, "root", { name, ...input });
  return { id: created.id, token: created.token };
}

describe("who may call the verify API", () => {
  it("a reseller without verify-credentials gets a 403 in the REST envelope", async () => {
    t = await createTestApp();
    await createReseller("res");
    const { token } = await rootToken("app");
    const response = await verify({ authorization: `whm root:${token}`, ip: CLIENT }, basic("res", "res-password-1"));
    expectErrorEnvelope(response, 403, /verify-credentials/);
    expect(response.body).not.toContain(token);
  });

  it("an unauthenticated caller gets a 401 in the REST envelope", async () => {
    t = await createTestApp();
    const { token } = await rootToken("app");
    expectErrorEnvelope(await verify({ authorization: `whm root:${token}`, ip: CLIENT }, null), 401);
    expectErrorEnvelope(await verify({ authorization: `whm root:${token}`, ip: CLIENT }, basic("root", "Wrong-Password-1")), 401);
  });

  it("root (which holds every privilege) may call it", async () => {
    t = await createTestApp();
    const { token } = await rootToken("app");
    expect((await answer({ authorization: `whm root:${token}`, ip: CLIENT })).code).toBe("VALID");
  });

  it("a reseller given verify-credentials with setacls may call it", async () => {
    t = await createTestApp();
    await createReseller("svc");
    const { token } = await rootToken("app");
    const caller = basic("svc", "svc-password-1");
    expect((await verify({ authorization: `whm root:${token}`, ip: CLIENT }, caller)).statusCode).toBe(403);
    const granted = await t.whm("setacls", { reseller: "svc", "acl-verify-credentials": "1", "acl-list-accts": "1" });
    expect(granted.body.metadata.result, granted.body.metadata.reason).toBe(1);
    const msg = await answer({ authorization: `whm root:${token}`, ip: CLIENT }, caller);
    expect(msg).toMatchObject({ valid: true, code: "VALID", user: "root" });
  });

  it("a service token limited to verify-credentials may call it, and nothing else", async () => {
    t = await createTestApp();
    const service = await rootToken("verifier", { acls: ["verify-credentials"] });
    const { token } = await rootToken("app");
    const caller: Auth = { whm: ["root", service.token] };
    expect((await answer({ authorization: `whm root:${token}`, ip: CLIENT }, caller)).code).toBe("VALID");
    const other = await t.app.inject({ method: "GET", url: "/api/v1/accounts", headers: authorization(caller) });
    expect(other.statusCode, other.body).toBe(403);
  });
});

describe("VALID", () => {
  it("an API token in `whm user:token`: user, role, effective ACLs, credential; never the secret", async () => {
    t = await createTestApp();
    const { id, token } = await rootToken("billing", { acls: ["list-accts", "create-acct"] });
    const response = await verify({ authorization: `whm root:${token}`, ip: CLIENT });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({
      error: "",
      status: "success",
      msg: { valid: true, code: "VALID", user: "root", role: "root", acls: ["create-acct", "list-accts"], credential: { kind: "api-token", id, name: "billing" } },
    });
    expect(response.body).not.toContain(token);
  });

  it("a full-access root token reports every known ACL", async () => {
    t = await createTestApp();
    const { token } = await rootToken("full");
    const msg = await answer({ authorization: `WHM root:${token}`, ip: CLIENT });
    expect(msg.acls).toEqual([...KNOWN_ACLS]);
    expect(msg.acls).toContain("all");
  });

  it("a reseller's token reports the reseller's role and privileges", async () => {
    t = await createTestApp();
    await createReseller("res");
    await t.whm("setacls", { reseller: "res", "acl-list-accts": "1", "acl-create-acct": "1" });
    const created = await t.keyhold.tokens.create(CLI_ACTOR, "res", { name: "res-app", acls: ["list-accts"] });
    const msg = await answer({ authorization: `whm res:${created.token}`, ip: CLIENT });
    expect(msg).toEqual({ valid: true, code: "VALID", user: "res", role: "reseller", acls: ["list-accts"], credential: { kind: "api-token", id: created.id, name: "res-app" } });
  });

  it("HTTP Basic: a password credential, without id or name", async () => {
    t = await createTestApp();
    const response = await verify({ authorization: `Basic ${b64(`root:${ROOT_PASSWORD}`)}`, ip: CLIENT });
    expect(response.statusCode).toBe(200);
    const msg = response.json().msg;
    expect(msg).toMatchObject({ valid: true, code: "VALID", user: "root", role: "root", credential: { kind: "password", id: null, name: null } });
    expect(response.body).not.toContain(ROOT_PASSWORD);
    expect(response.body).not.toContain(b64(`root:${ROOT_PASSWORD}`));
  });

  it("an IP-bound access hash in the access_hash value, and the same hash as `Bearer`", async () => {
    t = await createTestApp();
    const created = await t.keyhold.ipAccessHashes.create(CLI_ACTOR, { name: "panel", ip: CLIENT });
    const expected = { valid: true, code: "VALID", user: "root", role: "root", acls: [...KNOWN_ACLS], credential: { kind: "ip-access-hash", id: created.id, name: "panel" } };

    const cookie = await verify({ access_hash: created.accessHash, ip: CLIENT });
    expect(cookie.json().msg).toEqual(expected);
    expect(cookie.body).not.toContain(created.accessHash);

    const bearer = await verify({ authorization: `Bearer ${created.accessHash}`, ip: CLIENT });
    expect(bearer.json().msg).toEqual(expected);
    expect(bearer.body).not.toContain(created.accessHash);
  });

  it("the Authorization value is used when both are given", async () => {
    t = await createTestApp();
    const { token } = await rootToken("app");
    const msg = await answer({ authorization: `whm root:${token}`, access_hash: "0".repeat(80), ip: CLIENT });
    expect(msg.credential.kind).toBe("api-token");
  });

  it("the ACLs asked for are granted when the credential holds them", async () => {
    t = await createTestApp();
    const { token } = await rootToken("lister", { acls: ["list-accts"] });
    const msg = await answer({ authorization: `whm root:${token}`, ip: CLIENT, acls: ["list-accts"] });
    expect(msg).toMatchObject({ valid: true, code: "VALID", acls: ["list-accts"] });
    expect((await answer({ authorization: `whm root:${token}`, ip: CLIENT, acls: [] })).code).toBe("VALID");
  });

  it("records the use on the credential, with the client's address rather than the caller's", async () => {
    t = await createTestApp();
    const { token } = await rootToken("app");
    expect((await answer({ authorization: `whm root:${token}`, ip: CLIENT })).code).toBe("VALID");
    await t.keyhold.usage.flush();
    const [view] = await t.keyhold.tokens.list(CLI_ACTOR, "root");
    expect(view?.lastUsedIp).toBe(CLIENT);
  });
});

describe("NOT_FOUND", () => {
  it("a wrong token, another user's name, a wrong access hash", async () => {
    t = await createTestApp();
    await createReseller("res");
    const { token } = await rootToken("app");
    const wrong = token.slice(0, -1) + (token.endsWith("A") ? "B" : "A");
    // One client address each: five failures from one address would lock it out.
    const cases: VerifyBody[] = [
      { authorization: `whm root:${wrong}`, ip: "198.51.100.31" },
      { authorization: `whm res:${token}`, ip: "198.51.100.32" },
      { authorization: `whm nosuchuser:${token}`, ip: "198.51.100.33" },
      { authorization: `Basic ${b64("root:Wrong-Password-1")}`, ip: "198.51.100.34" },
      { access_hash: "ab".repeat(40), ip: "198.51.100.35" },
      { access_hash: "not-a-hash", ip: "198.51.100.36" },
      { authorization: `Bearer ${"cd".repeat(40)}`, ip: "2001:db8::37" },
    ];
    for (const body of cases) {
      const response = await verify(body, ROOT, "127.0.0.1");
      expect(response.statusCode, JSON.stringify(body)).toBe(200);
      expectInvalid(response.json().msg, "NOT_FOUND");
      expect(response.body).not.toContain(token);
      expect(response.body).not.toContain(wrong);
    }
  });

  it.each([
    ["whm without a colon", "whm nocolon"],
    ["whm without a secret", "whm root:"],
    ["whm without a user", "whm :abc"],
    ["an unknown scheme", "Digest username=root"],
    ["cPanel's account-token scheme", "cpanel root:ABCDEF"],
    ["no scheme at all", "justonewordhere"],
    ["Basic that is not base64", "Basic !!!not-base64!!!"],
    ["Basic without a colon", `Basic ${b64("rootonly")}`],
    ["Bearer without a value", "Bearer "],
  ])("a malformed Authorization value is an answer, not an error: %s", async (_label, value) => {
    t = await createTestApp();
    const response = await verify({ authorization: value, ip: CLIENT });
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json().status).toBe("success");
    expectInvalid(response.json().msg, "NOT_FOUND");
  });

  it("a revoked token is NOT_FOUND on the very next call", async () => {
    t = await createTestApp();
    const { token } = await rootToken("soon-gone");
    expect((await answer({ authorization: `whm root:${token}`, ip: CLIENT })).code).toBe("VALID");
    const revoked = await t.whm("api_token_revoke", { token_name: "soon-gone" });
    expect(revoked.body.metadata.result, revoked.body.metadata.reason).toBe(1);
    expectInvalid(await answer({ authorization: `whm root:${token}`, ip: CLIENT }), "NOT_FOUND");
  });

  it("a deleted IP-bound access hash is NOT_FOUND on the very next call", async () => {
    t = await createTestApp();
    const created = await t.keyhold.ipAccessHashes.create(CLI_ACTOR, { name: "panel", ip: CLIENT });
    expect((await answer({ access_hash: created.accessHash, ip: CLIENT })).code).toBe("VALID");
    await t.keyhold.ipAccessHashes.delete(CLI_ACTOR, created.id);
    expectInvalid(await answer({ access_hash: created.accessHash, ip: CLIENT }), "NOT_FOUND");
  });
});

describe("EXPIRED", () => {
  it("a token past its expiry", async () => {
    t = await createTestApp();
    const expiresAt = String(Math.floor(t.clock.now() / 1000) + 60);
    const { token } = await rootToken("short", { expiresAt });
    expect((await answer({ authorization: `whm root:${token}`, ip: CLIENT })).code).toBe("VALID");
    t.clock.advance(59_000);
    expect((await answer({ authorization: `whm root:${token}`, ip: CLIENT })).code).toBe("VALID");
    t.clock.advance(1_000);
    expectInvalid(await answer({ authorization: `whm root:${token}`, ip: CLIENT }), "EXPIRED");
  });

  it("an IP-bound access hash past its expiry", async () => {
    t = await createTestApp();
    const created = await t.keyhold.ipAccessHashes.create(CLI_ACTOR, { name: "short", ip: CLIENT, expiresAt: Math.floor(t.clock.now() / 1000) + 3600 });
    expect((await answer({ access_hash: created.accessHash, ip: CLIENT })).code).toBe("VALID");
    t.clock.advance(61 * MINUTE);
    expectInvalid(await answer({ access_hash: created.accessHash, ip: CLIENT }), "EXPIRED");
  });
});

describe("IP_NOT_ALLOWED: the `ip` field counts, not the caller's address", () => {
  it("a token whitelisted to one address", async () => {
    t = await createTestApp();
    const { token } = await rootToken("pinned", { whitelistIps: ["10.1.2.3"] });
    expect((await answer({ authorization: `whm root:${token}`, ip: "10.1.2.3" })).code).toBe("VALID");
    expectInvalid(await answer({ authorization: `whm root:${token}`, ip: "10.9.9.9" }), "IP_NOT_ALLOWED");
    // The caller calling from the whitelisted address does not make the client's address good...
    expectInvalid(await answer({ authorization: `whm root:${token}`, ip: "10.9.9.9" }, ROOT, "10.1.2.3"), "IP_NOT_ALLOWED");
    // ...nor does calling from elsewhere make a whitelisted client's address bad.
    expect((await answer({ authorization: `whm root:${token}`, ip: "10.1.2.3" }, ROOT, "10.9.9.9")).code).toBe("VALID");
  });

  it("a token whitelisted to a range", async () => {
    t = await createTestApp();
    const { token } = await rootToken("ranged", { whitelistIps: ["192.0.2.0/24"] });
    expect((await answer({ authorization: `whm root:${token}`, ip: "192.0.2.200" })).code).toBe("VALID");
    expectInvalid(await answer({ authorization: `whm root:${token}`, ip: "192.0.3.1" }), "IP_NOT_ALLOWED");
  });

  it("an IPv4-mapped IPv6 client address is the IPv4 address it carries", async () => {
    t = await createTestApp();
    const { token } = await rootToken("pinned", { whitelistIps: ["10.1.2.3"] });
    expect((await answer({ authorization: `whm root:${token}`, ip: "::ffff:10.1.2.3" })).code).toBe("VALID");
    expectInvalid(await answer({ authorization: `whm root:${token}`, ip: "::ffff:10.9.9.9" }), "IP_NOT_ALLOWED");
    expectInvalid(await answer({ authorization: `whm root:${token}`, ip: "2001:db8::1" }), "IP_NOT_ALLOWED");
  });

  it("an access hash bound to another address", async () => {
    t = await createTestApp();
    const created = await t.keyhold.ipAccessHashes.create(CLI_ACTOR, { name: "bound", ip: "203.0.113.5" });
    expect((await answer({ access_hash: created.accessHash, ip: "203.0.113.5" })).code).toBe("VALID");
    expectInvalid(await answer({ access_hash: created.accessHash, ip: CLIENT }), "IP_NOT_ALLOWED");
    expectInvalid(await answer({ authorization: `Bearer ${created.accessHash}`, ip: CLIENT }, ROOT, "203.0.113.5"), "IP_NOT_ALLOWED");
  });
});

describe("ACL_DENIED", () => {
  it("a token limited to list-accts asked for create-acct", async () => {
    t = await createTestApp();
    const { token } = await rootToken("lister", { acls: ["list-accts"] });
    expectInvalid(await answer({ authorization: `whm root:${token}`, ip: CLIENT, acls: ["create-acct"] }), "ACL_DENIED");
    expectInvalid(await answer({ authorization: `whm root:${token}`, ip: CLIENT, acls: ["list-accts", "create-acct"] }), "ACL_DENIED");
  });

  it("a reseller asked for root", async () => {
    t = await createTestApp();
    await createReseller("res");
    expectInvalid(await answer({ authorization: `Basic ${b64("res:res-password-1")}`, ip: CLIENT, acls: ["all"] }), "ACL_DENIED");
    expect((await answer({ authorization: `Basic ${b64("root:" + ROOT_PASSWORD)}`, ip: CLIENT, acls: ["all", "create-acct"] })).code).toBe("VALID");
  });

  it("a denied privilege is not a failed login: it neither locks the client out nor reaches the audit log as one", async () => {
    t = await createTestApp();
    const { token } = await rootToken("lister", { acls: ["list-accts"] });
    for (let i = 0; i < 7; i++) expectInvalid(await answer({ authorization: `whm root:${token}`, ip: CLIENT, acls: ["create-acct"] }), "ACL_DENIED");
    expect((await answer({ authorization: `whm root:${token}`, ip: CLIENT })).code).toBe("VALID");
    expect(await t.keyhold.audit.list({ action: "login.failure", limit: 50 })).toEqual([]);
  });
});

describe("LOCKED_OUT", () => {
  it("after 5 failures for the same client address, with retry_after; other clients and the caller are unaffected", async () => {
    t = await createTestApp();
    const { token } = await rootToken("app");
    for (let i = 0; i < 5; i++) expectInvalid(await answer({ authorization: `whm root:WRONG-${i}`, ip: CLIENT }), "NOT_FOUND");

    const locked = await answer({ authorization: `whm root:${token}`, ip: CLIENT });
    expect(locked).toEqual({ valid: false, code: "LOCKED_OUT", retry_after: 15 * 60 });
    const lockedHash = await answer({ access_hash: "ab".repeat(40), ip: CLIENT });
    expect(lockedHash.code).toBe("LOCKED_OUT");

    // The block is the client's: the same token from another client, and the caller itself, still work.
    expect((await answer({ authorization: `whm root:${token}`, ip: "198.51.100.21" })).code).toBe("VALID");
    expect((await t.app.inject({ method: "GET", url: "/api/v1/system/status", headers: authorization(ROOT) })).statusCode).toBe(200);

    t.clock.advance(10 * MINUTE);
    expect((await answer({ authorization: `whm root:${token}`, ip: CLIENT })).retry_after).toBe(5 * 60);
    t.clock.advance(5 * MINUTE);
    expect((await answer({ authorization: `whm root:${token}`, ip: CLIENT })).code).toBe("VALID");
  });

  // Issue 11 item 8: these are real credentials refused by policy, not guesses (they counted before).
  it("a client's wrong-IP and expired credentials are not counted as guesses", async () => {
    t = await createTestApp();
    const pinned = await rootToken("pinned", { whitelistIps: ["10.1.2.3"] });
    const expiring = await rootToken("expiring", { expiresAt: String(Math.floor(t.clock.now() / 1000) + 60) });
    const { token } = await rootToken("app");
    t.clock.advance(2 * MINUTE);
    for (let i = 0; i < 5; i++) expectInvalid(await answer({ authorization: `whm root:${pinned.token}`, ip: CLIENT }), "IP_NOT_ALLOWED");
    for (let i = 0; i < 5; i++) {
      const expired = await answer({ authorization: `whm root:${expiring.token}`, ip: CLIENT });
      expect(expired).toEqual({ valid: false, code: "EXPIRED", reason: "This API token has expired." });
    }
    expect((await answer({ authorization: `whm root:${token}`, ip: CLIENT })).code).toBe("VALID");
  });
});

describe("ACCOUNT_SUSPENDED", () => {
  it("a suspended account's token, password and access hash", async () => {
    t = await createTestApp();
    await createReseller("res");
    const created = await t.keyhold.tokens.create(CLI_ACTOR, "res", { name: "res-app" });
    const hash = await t.keyhold.ipAccessHashes.create(CLI_ACTOR, { name: "res-hash", ip: CLIENT, user: "res" });
    expect((await answer({ authorization: `whm res:${created.token}`, ip: CLIENT })).code).toBe("VALID");

    const suspended = await t.whm("suspendacct", { user: "res" });
    expect(suspended.body.metadata.result, suspended.body.metadata.reason).toBe(1);
    expectInvalid(await answer({ authorization: `whm res:${created.token}`, ip: CLIENT }), "ACCOUNT_SUSPENDED");
    expectInvalid(await answer({ authorization: `Basic ${b64("res:res-password-1")}`, ip: CLIENT }), "ACCOUNT_SUSPENDED");
    expectInvalid(await answer({ access_hash: hash.accessHash, ip: CLIENT }), "ACCOUNT_SUSPENDED");

    await t.whm("unsuspendacct", { user: "res" });
    expect((await answer({ authorization: `whm res:${created.token}`, ip: "198.51.100.99" })).code).toBe("VALID");
  });
});

describe("bad input is a 400 in the REST envelope", () => {
  it.each<[string, VerifyBody, RegExp | undefined]>([
    ["missing ip", { authorization: "whm root:abc" }, undefined],
    ["an ip that is not an address", { authorization: "whm root:abc", ip: "not-an-ip" }, /not an IP address/],
    ["an ip with a port", { authorization: "whm root:abc", ip: "10.1.2.3:80" }, /not an IP address/],
    ["a range as ip", { authorization: "whm root:abc", ip: "10.0.0.0/8" }, /not an IP address/],
    ["neither authorization nor access_hash", { ip: CLIENT }, /authorization.*access_hash/],
    ["both empty", { authorization: "", access_hash: "", ip: CLIENT }, /authorization.*access_hash/],
    ["control characters in authorization", { authorization: "whm root:abc\r\nX-Injected: 1", ip: CLIENT }, /control characters/],
    ["a NUL in authorization", { authorization: "whm root:abc\u0000def", ip: CLIENT }, /control characters/],
    ["control characters in access_hash", { access_hash: "ab\nX-Injected: 1", ip: CLIENT }, /control characters/],
    ["acls an object", { authorization: "whm root:abc", ip: CLIENT, acls: { "create-acct": 1 } as unknown as string[] }, undefined],
  ])("%s", async (_label, body, message) => {
    t = await createTestApp();
    const response = await verify(body);
    expectErrorEnvelope(response, 400, message);
  });

  it("a body that is not JSON", async () => {
    t = await createTestApp();
    const response = await t.app.inject({ method: "POST", url: "/api/v1/verify", headers: { "content-type": "application/json", ...authorization(ROOT) }, payload: "{not json" });
    expectErrorEnvelope(response, 400);
  });

  it("GET is 405", async () => {
    t = await createTestApp();
    const response = await t.app.inject({ method: "GET", url: "/api/v1/verify", headers: authorization(ROOT) });
    expectErrorEnvelope(response, 405);
  });

  it("bad input is not counted as a failed login", async () => {
    t = await createTestApp();
    for (let i = 0; i < 6; i++) expect((await verify({ authorization: "whm root:abc\r\nx", ip: CLIENT })).statusCode).toBe(400);
    expect(await t.keyhold.audit.list({ action: "login.failure", limit: 50 })).toEqual([]);
  });
});

describe("failed verifications in the audit log", () => {
  it("each failure is a login.failure entry with the client's address, the scheme and the code, and no secret", async () => {
    t = await createTestApp();
    const { token } = await rootToken("app");
    const pinned = await rootToken("pinned", { whitelistIps: ["10.1.2.3"] });
    const hash = await t.keyhold.ipAccessHashes.create(CLI_ACTOR, { name: "bound", ip: "203.0.113.5" });
    const wrongToken = token.slice(0, -1) + (token.endsWith("A") ? "B" : "A");
    const wrongPassword = "Wrong-Password-1";

    expect((await answer({ authorization: `whm root:${token}`, ip: CLIENT })).code).toBe("VALID");
    expect((await answer({ authorization: `whm root:${wrongToken}`, ip: CLIENT })).code).toBe("NOT_FOUND");
    expect((await answer({ authorization: `whm root:${pinned.token}`, ip: "10.9.9.9" })).code).toBe("IP_NOT_ALLOWED");
    expect((await answer({ authorization: `Basic ${b64(`root:${wrongPassword}`)}`, ip: "10.9.9.8" })).code).toBe("NOT_FOUND");
    expect((await answer({ access_hash: hash.accessHash, ip: "10.9.9.7" })).code).toBe("IP_NOT_ALLOWED");

    const entries = await t.keyhold.audit.list({ action: "login.failure", limit: 50 });
    expect(entries).toHaveLength(4);
    for (const entry of entries) expect(entry.outcome).toBe("failure");
    const summary = entries.map((entry) => ({ ip: entry.ip, actor: entry.actor, scheme: entry.detail.scheme, code: entry.detail.code }));
    expect(summary).toEqual(
      expect.arrayContaining([
        { ip: CLIENT, actor: "root", scheme: "whm", code: "BAD_TOKEN" },
        { ip: "10.9.9.9", actor: "root", scheme: "whm", code: "IP_NOT_ALLOWED" },
        { ip: "10.9.9.8", actor: "root", scheme: "password", code: "BAD_PASSWORD" },
        { ip: "10.9.9.7", actor: "-", scheme: "ip-access-hash", code: "IP_NOT_ALLOWED" },
      ]),
    );
    const log = JSON.stringify(await t.keyhold.audit.list({ limit: 500 }));
    for (const secret of [token, wrongToken, pinned.token, hash.accessHash, wrongPassword, ROOT_PASSWORD]) expect(log).not.toContain(secret);
  });

  it("the audit log is readable through the REST API by root, with the failures in it", async () => {
    t = await createTestApp();
    expect((await answer({ authorization: "whm root:NOPE", ip: CLIENT })).code).toBe("NOT_FOUND");
    const response = await t.app.inject({ method: "GET", url: "/api/v1/audit?action=login.failure", headers: authorization(ROOT) });
    expect(response.statusCode, response.body).toBe(200);
    expect(response.body).toContain(CLIENT);
    expect(response.body).not.toContain("NOPE");
  });
});
