import type { LightMyRequestResponse } from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import { AccessRules } from "../src/core/access-rules.js";
import { CLI_ACTOR } from "../src/core/actor.js";
import type { HttpOptions } from "../src/http/context.js";
import { ROOT_PASSWORD, basicHeader, createTestApp, whmHeader, type TestApp } from "./harness.js";

// GET /auth/request for nginx's auth_request (issue 7 §2), in process. The real nginx in front
// of it is test/nginx.e2e.test.ts.

let t: TestApp | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

async function start(options: { http?: Partial<HttpOptions>; rules?: AccessRules } = {}): Promise<TestApp> {
  t = await createTestApp({
    // As the README sets it up: nginx on this machine, named with --trust-proxy.
    http: { trustProxy: ["127.0.0.1", "::1"], ...options.http },
    parts: options.rules === undefined ? {} : { rules: options.rules },
  });
  return t;
}

function app(): TestApp {
  if (t === undefined) throw new Error("start() first");
  return t;
}

async function authRequest(headers: Record<string, string>, remoteAddress = "127.0.0.1", method: "GET" | "HEAD" = "GET"): Promise<LightMyRequestResponse> {
  return app().app.inject({ method, url: "/auth/request", headers, remoteAddress });
}

async function token(name: string, input: { acls?: string[]; expiresAt?: string; whitelistIps?: string[] } = {}, owner = "root"): Promise<string> {
  return (await app().keyhold.tokens.create(CLI_ACTOR, owner, { name, ...input })).token;
}

function expect204(response: LightMyRequestResponse, user: string, acls: string, credential: string): void {
  expect(response.statusCode, response.body).toBe(204);
  expect(response.body).toBe("");
  expect(response.headers["x-keyhold-user"]).toBe(user);
  expect(response.headers["x-keyhold-acls"]).toBe(acls);
  expect(response.headers["x-keyhold-credential"]).toBe(credential);
}

function expectRefused(response: LightMyRequestResponse, status: number, ...secrets: string[]): void {
  expect(response.statusCode, response.body).toBe(status);
  expect(response.json()).toEqual({ error: expect.any(String), msg: "", status: "error" });
  expect(response.json().error).not.toBe("");
  for (const name of ["x-keyhold-user", "x-keyhold-acls", "x-keyhold-credential"]) expect(response.headers[name]).toBeUndefined();
  for (const secret of secrets) expect(response.body).not.toContain(secret);
}

describe("a valid credential: 204 and the identity headers", () => {
  it("a full-access root token: user, acls \"all\", kind:name", async () => {
    await start();
    const secret = await token("nginx");
    const response = await authRequest(whmHeader("root", secret));
    expect204(response, "root", "all", "api-token:nginx");
    expect(JSON.stringify(response.headers)).not.toContain(secret);
  });

  it("a token limited to some privileges lists them, comma-separated", async () => {
    await start();
    const secret = await token("limited", { acls: ["list-accts", "create-acct"] });
    expect204(await authRequest(whmHeader("root", secret)), "root", "create-acct,list-accts", "api-token:limited");
  });

  it("HTTP Basic is a password credential", async () => {
    await start();
    const basic = basicHeader("root", ROOT_PASSWORD);
    expect204(await authRequest({ authorization: basic }), "root", "all", "password");
  });

  it("an IP-bound access hash in the access_hash cookie or as Bearer, from its address", async () => {
    await start();
    const created = await app().keyhold.ipAccessHashes.create(CLI_ACTOR, { name: "panel", ip: "10.1.2.3" });
    expect204(await authRequest({ cookie: `theme=dark; access_hash=${created.accessHash}`, "x-real-ip": "10.1.2.3" }), "root", "all", "ip-access-hash:panel");
    expect204(await authRequest({ authorization: `Bearer ${created.accessHash}`, "x-real-ip": "10.1.2.3" }), "root", "all", "ip-access-hash:panel");
    expectRefused(await authRequest({ cookie: `access_hash=${created.accessHash}`, "x-real-ip": "10.9.9.9" }), 401, created.accessHash);
  });

  it("a reseller's token names the reseller", async () => {
    await start();
    await app().keyhold.accounts.create(CLI_ACTOR, { username: "res", password: "res-password-1", domain: "res.example.com", reseller: true });
    const secret = await token("res-app", { acls: ["list-pkgs"] }, "res");
    expect204(await authRequest(whmHeader("res", secret)), "res", "list-pkgs", "api-token:res-app");
  });

  it("HEAD works as GET", async () => {
    await start();
    const secret = await token("nginx");
    const response = await authRequest(whmHeader("root", secret), "127.0.0.1", "HEAD");
    expect(response.statusCode).toBe(204);
    expect(response.headers["x-keyhold-user"]).toBe("root");
  });
});

describe("401 in the REST envelope", () => {
  it("no credential at all", async () => {
    await start();
    expectRefused(await authRequest({}), 401);
    expectRefused(await authRequest({ cookie: "theme=dark" }), 401);
  });

  it("a wrong token, a malformed header, another account's token", async () => {
    await start();
    const secret = await token("nginx");
    const wrong = secret.slice(0, -1) + (secret.endsWith("A") ? "B" : "A");
    expectRefused(await authRequest(whmHeader("root", wrong)), 401, wrong);
    expectRefused(await authRequest({ authorization: "whm nocolon" }), 401);
    expectRefused(await authRequest({ authorization: "Digest username=root" }), 401);
    expectRefused(await authRequest(whmHeader("nosuchuser", secret)), 401, secret);
  });

  it("an expired token", async () => {
    const { clock } = await start();
    const secret = await token("short", { expiresAt: String(Math.floor(clock.now() / 1000) + 60) });
    expect(await authRequest(whmHeader("root", secret)).then((r) => r.statusCode)).toBe(204);
    clock.advance(60_000);
    expectRefused(await authRequest(whmHeader("root", secret)), 401, secret);
  });

  it("a token revoked while in use, refused on the very next request", async () => {
    await start();
    const secret = await token("soon-gone");
    expect(await authRequest(whmHeader("root", secret)).then((r) => r.statusCode)).toBe(204);
    expect(await app().keyhold.tokens.revoke(CLI_ACTOR, "root", ["soon-gone"])).toEqual(["soon-gone"]);
    expectRefused(await authRequest(whmHeader("root", secret)), 401, secret);
  });

  it("a suspended account", async () => {
    await start();
    await app().keyhold.accounts.create(CLI_ACTOR, { username: "res", password: "res-password-1", domain: "res.example.com", reseller: true });
    const secret = await token("res-app", {}, "res");
    expect(await authRequest(whmHeader("res", secret)).then((r) => r.statusCode)).toBe(204);
    await app().keyhold.accounts.setSuspended(CLI_ACTOR, "res", true);
    expectRefused(await authRequest(whmHeader("res", secret)), 401, secret);
  });

  it("a failure is in the audit log under the client's address from X-Real-IP", async () => {
    await start();
    expectRefused(await authRequest({ ...whmHeader("root", "NOT-A-TOKEN"), "x-real-ip": "192.0.2.44" }), 401);
    const [entry] = await app().keyhold.audit.list({ action: "login.failure", limit: 10 });
    expect(entry).toMatchObject({ ip: "192.0.2.44", outcome: "failure", detail: { scheme: "whm", code: "BAD_TOKEN" } });
    expect(JSON.stringify(entry)).not.toContain("NOT-A-TOKEN");
  });
});

describe("the client's address", () => {
  it("from a named proxy on loopback, X-Real-IP is the client: a token whitelisted to 10.1.2.3 passes only from there", async () => {
    await start();
    const secret = await token("pinned", { whitelistIps: ["10.1.2.3"] });
    expect204(await authRequest({ ...whmHeader("root", secret), "x-real-ip": "10.1.2.3" }), "root", "all", "api-token:pinned");
    expect204(await authRequest({ ...whmHeader("root", secret), "x-real-ip": "10.1.2.3" }, "::1"), "root", "all", "api-token:pinned");
    expectRefused(await authRequest({ ...whmHeader("root", secret), "x-real-ip": "10.9.9.9" }), 401, secret);
    // Without X-Real-IP the client is the peer itself, which is not on the whitelist.
    expectRefused(await authRequest(whmHeader("root", secret)), 401, secret);
  });

  it("an X-Real-IP that is not an address is not believed", async () => {
    await start();
    const secret = await token("pinned", { whitelistIps: ["10.1.2.3"] });
    expectRefused(await authRequest({ ...whmHeader("root", secret), "x-real-ip": "10.1.2.3, 10.9.9.9" }), 401);
    expectRefused(await authRequest({ ...whmHeader("root", secret), "x-real-ip": "somewhere" }), 401);
  });

  it("a peer that is neither loopback nor a trusted proxy gets 403, and its X-Real-IP is not believed", async () => {
    await start({ http: { trustProxy: [] } });
    const secret = await token("pinned", { whitelistIps: ["10.1.2.3"] });
    const open = await token("open");
    const peer = "203.0.113.9";
    const forged = await authRequest({ ...whmHeader("root", secret), "x-real-ip": "10.1.2.3" }, peer);
    expectRefused(forged, 403, secret);
    expect(forged.json().error).toMatch(/trust-proxy/);
    // Even a credential that is good from anywhere is not answered for such a peer.
    expectRefused(await authRequest(whmHeader("root", open), peer), 403, open);
    // Refusing the peer is not a failed login of the client it named.
    expect(await app().keyhold.audit.list({ action: "login.failure", limit: 10 })).toEqual([]);
  });

  it("with --trust-proxy naming the peer, its X-Real-IP is believed", async () => {
    await start({ http: { trustProxy: ["203.0.113.9"] } });
    const secret = await token("pinned", { whitelistIps: ["10.1.2.3"] });
    const peer = "203.0.113.9";
    expect204(await authRequest({ ...whmHeader("root", secret), "x-real-ip": "10.1.2.3" }, peer), "root", "all", "api-token:pinned");
    expectRefused(await authRequest({ ...whmHeader("root", secret), "x-real-ip": "10.9.9.9" }, peer), 401, secret);
    // Another, untrusted peer still gets 403.
    expectRefused(await authRequest({ ...whmHeader("root", secret), "x-real-ip": "10.1.2.3" }, "203.0.113.10"), 403, secret);
  });

  it("with --trust-proxy naming a range, X-Forwarded-For from it is believed when there is no X-Real-IP", async () => {
    await start({ http: { trustProxy: ["203.0.113.0/24"] } });
    const secret = await token("pinned", { whitelistIps: ["10.1.2.3"] });
    expect204(await authRequest({ ...whmHeader("root", secret), "x-forwarded-for": "10.1.2.3" }, "203.0.113.77"), "root", "all", "api-token:pinned");
    expectRefused(await authRequest({ ...whmHeader("root", secret), "x-forwarded-for": "10.9.9.9" }, "203.0.113.77"), 401, secret);
  });
});

describe("access rules: X-Original-Method and X-Original-URI", () => {
  const rules = AccessRules.parse({
    rules: [
      { prefix: "/admin", methods: ["POST", "DELETE"], acls: ["create-acct"] },
      { prefix: "/reports", acls: ["list-accts"] },
    ],
  });

  it("POST under /admin needs create-acct: a list-accts-only token gets 403, GET passes", async () => {
    await start({ rules });
    const secret = await token("lister", { acls: ["list-accts"] });
    const post = await authRequest({ ...whmHeader("root", secret), "x-original-method": "POST", "x-original-uri": "/admin/users?x=1" });
    expectRefused(post, 403, secret);
    expect(post.json().error).toContain("create-acct");
    expect204(await authRequest({ ...whmHeader("root", secret), "x-original-method": "GET", "x-original-uri": "/admin/users?x=1" }), "root", "list-accts", "api-token:lister");
    expectRefused(await authRequest({ ...whmHeader("root", secret), "x-original-method": "delete", "x-original-uri": "/admin" }), 403);
  });

  it("a token with the privilege passes; the query string does not decide the path", async () => {
    await start({ rules });
    const creator = await token("creator", { acls: ["create-acct"] });
    const lister = await token("lister", { acls: ["list-accts"] });
    expect204(await authRequest({ ...whmHeader("root", creator), "x-original-method": "POST", "x-original-uri": "/admin/users" }), "root", "create-acct", "api-token:creator");
    expect(await authRequest({ ...whmHeader("root", lister), "x-original-method": "POST", "x-original-uri": "/public?next=/admin/users" }).then((r) => r.statusCode)).toBe(204);
    expectRefused(await authRequest({ ...whmHeader("root", creator), "x-original-uri": "/reports/2026?x=/public" }), 403, creator);
  });

  it("an X-Original-URI the application's router would read as /admin (nginx passes $request_uri as sent) is held to the rule", async () => {
    await start({ rules });
    const lister = await token("lister", { acls: ["list-accts"] });
    for (const uri of ["/%61dmin/users", "//admin/users", "/x/../admin/users", "/admin%2Fusers?x=1", "/./admin"]) {
      const response = await authRequest({ ...whmHeader("root", lister), "x-original-method": "POST", "x-original-uri": uri });
      expect(response.statusCode, uri).toBe(403);
    }
    expect((await authRequest({ ...whmHeader("root", lister), "x-original-method": "GET", "x-original-uri": "/%61dmin/users" })).statusCode).toBe(204);
  });

  it("without X-Original-URI/-Method the subrequest's own method and path are used", async () => {
    await start({ rules: AccessRules.parse({ rules: [{ prefix: "/auth", acls: ["create-acct"] }, { prefix: "/other", acls: ["kill-acct"] }] }) });
    const lister = await token("lister", { acls: ["list-accts"] });
    // /auth/request itself is then the path, and the /auth rule applies to it.
    expectRefused(await authRequest(whmHeader("root", lister)), 403, lister);
    expect(await authRequest({ ...whmHeader("root", lister), "x-original-uri": "/elsewhere" }).then((r) => r.statusCode)).toBe(204);
  });

  it("a denied privilege is not a failed login: no lockout after many", async () => {
    await start({ rules });
    const lister = await token("lister", { acls: ["list-accts"] });
    for (let i = 0; i < 7; i++) expect((await authRequest({ ...whmHeader("root", lister), "x-original-method": "POST", "x-original-uri": "/admin/x", "x-real-ip": "192.0.2.8" })).statusCode).toBe(403);
    expect((await authRequest({ ...whmHeader("root", lister), "x-real-ip": "192.0.2.8" })).statusCode).toBe(204);
  });
});

describe("brute-force protection", () => {
  it("after 5 failures for one client: 429 with Retry-After, even with a good token; other clients unaffected", async () => {
    const { clock } = await start();
    const secret = await token("nginx");
    const attacker = { "x-real-ip": "198.51.100.66" };
    for (let i = 0; i < 5; i++) expectRefused(await authRequest({ ...whmHeader("root", `WRONG-${i}`), ...attacker }), 401);
    const locked = await authRequest({ ...whmHeader("root", secret), ...attacker });
    expectRefused(locked, 429, secret);
    expect(locked.headers["retry-after"]).toBe(String(15 * 60));
    expect(locked.json().error).toMatch(/[Tt]oo many failed logins/);

    expect204(await authRequest({ ...whmHeader("root", secret), "x-real-ip": "198.51.100.67" }), "root", "all", "api-token:nginx");
    // The peer (nginx on loopback) is not the one blocked.
    expect204(await authRequest(whmHeader("root", secret)), "root", "all", "api-token:nginx");

    clock.advance(15 * 60_000);
    expect204(await authRequest({ ...whmHeader("root", secret), ...attacker }), "root", "all", "api-token:nginx");
  });
});
