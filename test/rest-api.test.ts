import type { LightMyRequestResponse } from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import { KEYHOLD_VERSION } from "../src/version.js";
import { ROOT, ROOT_PASSWORD, accountFixtures, authorization, basic, createTestApp, passwordOf, type Auth, type TestApp, type TestAppOptions } from "./harness.js";
import { expectFailure, expectSuccess, restCaller, type Envelope, type Method, type RestCall } from "./rest-harness.js";

// Issue 4: the REST API under /api/v1/ in PUQ's envelope, with real HTTP statuses, and the same
// management the WHM side offers.

let t: TestApp;
afterEach(async () => t?.close());

const CLIENT = "203.0.113.10";
const ACCESS_DENIED = "Access denied: the user name or the credentials are not valid.";
const RES1 = basic("res1");
const RES2 = basic("res2");

const call = restCaller(() => t);
const { createReseller } = accountFixtures(() => t);

// The `msg` of each answer, as far as these tests read it (src/http/rest/schemas.ts has the whole).

interface SystemStatus {
  readonly status: string;
  readonly version: string;
  readonly uptime_seconds: number;
  readonly store: string;
  readonly count_accounts?: number;
  readonly count_resellers?: number;
  readonly count_tokens?: number;
  readonly count_access_hashes?: number;
  readonly count_remote_access_keys?: number;
}

interface AccountView {
  readonly user: string;
  readonly role: "root" | "reseller" | "user";
  readonly owner: string;
  readonly domain: string | null;
  readonly acls: readonly string[];
  readonly suspended: boolean;
  readonly has_password: boolean;
  readonly created_at: number;
}

interface TokenView {
  readonly user: string;
  readonly name: string;
  readonly full_access: boolean;
  readonly acls: readonly string[] | null;
  readonly whitelist_ips: readonly string[] | null;
  readonly expires_at: number | null;
  /** Only when just created. */
  readonly token?: string;
}

interface CreatedToken extends TokenView {
  readonly token: string;
}

interface IpAccessHashView {
  readonly id: string;
  readonly user: string;
  readonly name: string;
  readonly ip: string;
  readonly expires_at: number | null;
}

interface CreatedIpAccessHash extends IpAccessHashView {
  readonly access_hash: string;
}

/** A WHM access hash (Remote Access Key). */
interface RemoteAccessKey {
  readonly user: string;
  readonly accesshash: string;
  readonly signature: string;
}

interface SettingView {
  readonly key: string;
  readonly value: number | string;
  readonly default: number | string;
}

interface AuditEntry {
  readonly id: string;
  readonly at: number;
  readonly actor: string;
  readonly ip: string;
  readonly action: string;
  readonly target: string;
  readonly outcome: string;
  readonly detail: Record<string, string | number | boolean | null>;
}

interface SessionInfo {
  readonly user: string;
  readonly role: string;
  readonly acls: readonly string[];
  readonly credential: { readonly kind: string; readonly name: string | null };
  /** Only when a session was just opened. */
  readonly security_token?: string;
}

interface Removed {
  readonly user: string;
  readonly removed: boolean;
}

interface Revoked {
  readonly name: string;
  readonly revoked: boolean;
}

interface LoggedOut {
  readonly logged_out: boolean;
}

async function start(options: TestAppOptions = {}): Promise<void> {
  t = await createTestApp(options);
}

async function createUser(username: string, owner?: string): Promise<AccountView> {
  const body = { username, domain: `${username}.example.com`, password: passwordOf(username), ...(owner === undefined ? {} : { owner }) };
  return expectSuccess<AccountView>(await call("POST", "/api/v1/accounts", { auth: ROOT, payload: body }), 201);
}

async function createToken(body: Record<string, unknown>, auth: Auth = ROOT): Promise<CreatedToken> {
  return expectSuccess<CreatedToken>(await call("POST", "/api/v1/tokens", { auth, payload: body }), 201);
}

async function createHash(body: Record<string, unknown>, auth: Auth = ROOT): Promise<CreatedIpAccessHash> {
  return expectSuccess<CreatedIpAccessHash>(await call("POST", "/api/v1/access_hashes", { auth, payload: body }), 201);
}

async function login(user: string, pass: string): Promise<{ cookie: string; securityToken: string; response: LightMyRequestResponse }> {
  const response = await call("POST", "/api/v1/session", { payload: { user, pass } });
  const msg = expectSuccess<SessionInfo>(response, 201);
  const cookie = response.cookies.find((c) => c.name === "whostmgrsession");
  expect(cookie).toBeDefined();
  return { cookie: cookie!.value, securityToken: msg.security_token!, response };
}

describe("the envelope on every path", () => {
  it("success: 200 with error \"\", msg, status success", async () => {
    await start();
    const response = await call("GET", "/api/v1/system/status", { auth: ROOT });
    const body = response.json<Envelope<SystemStatus>>();
    expect(response.statusCode).toBe(200);
    expect(Object.keys(body).sort()).toEqual(["error", "msg", "status"]);
    expect(body).toMatchObject({ error: "", status: "success" });
    expect(typeof body.msg).toBe("object");
  });

  it("unknown routes: 404, with or without credentials, for any method", async () => {
    await start();
    for (const [method, url] of [
      ["GET", "/api/v1/nope"],
      ["GET", "/api/v1/"],
      ["GET", "/api/v1"],
      ["POST", "/api/v1/client"],
      ["DELETE", "/api/v1/access_hashes/iah_x/extra"],
      ["GET", "/api/v2/system/status"],
      ["PUT", "/api/v1/system/status/deeper?x=1"],
    ] as Array<[Method, string]>) {
      const error = expectFailure(await call(method, url), 404, /No such endpoint/);
      expect(error).toContain(method);
      expectFailure(await call(method, url, { auth: ROOT }), 404, /No such endpoint/);
    }
  });

  it("an unknown route echoes the path only capped, never the query string", async () => {
    await start();
    const error = expectFailure(await call("GET", `/api/v1/${"a".repeat(500)}?access_hash=secretvalue`), 404);
    expect(error.length).toBeLessThan(300);
    expect(error).not.toContain("secretvalue");
  });

  it("a wrong method on a known path: 405 with an Allow header, before any authentication", async () => {
    await start();
    const cases: Array<[Method, string, string[]]> = [
      ["PATCH", "/api/v1/system/status", ["GET"]],
      ["POST", "/api/v1/system/status", ["GET"]],
      ["DELETE", "/api/v1/access_hashes", ["GET", "POST"]],
      ["PUT", "/api/v1/access_hashes", ["GET", "POST"]],
      ["POST", "/api/v1/access_hashes/iah_00000000000000000000", ["DELETE", "GET", "PUT"]],
      ["PATCH", "/api/v1/accounts/root", ["DELETE", "GET", "PUT"]],
      ["DELETE", "/api/v1/accounts/root/accesshash", ["GET", "POST"]],
      ["GET", "/api/v1/accounts/root/accesshash/convert", ["POST"]],
      ["PUT", "/api/v1/session", ["DELETE", "GET", "POST"]],
      ["GET", "/api/v1/settings/max_failures", ["PUT"]],
      ["DELETE", "/api/v1/tokens", ["GET", "POST"]],
      ["GET", "/api/v1/verify", ["POST"]],
    ];
    for (const [method, url, allowed] of cases) {
      for (const auth of [null, ROOT]) {
        const response = await call(method, url, { auth });
        expectFailure(response, 405, new RegExp(`${method} is not allowed`));
        const allow = String(response.headers.allow ?? "");
        expect(allow.split(/,\s*/).sort(), `${method} ${url}`).toEqual(allowed);
      }
    }
  });

  it("malformed JSON: 400", async () => {
    await start();
    for (const raw of ["{", '{"name": "x", "ip": }', "not json", '{"name":"x"'] as const) {
      expectFailure(await call("POST", "/api/v1/access_hashes", { auth: ROOT, raw, headers: { "content-type": "application/json" } }), 400, /not valid JSON/);
    }
    expectFailure(await call("POST", "/api/v1/access_hashes", { auth: ROOT, raw: "", headers: { "content-type": "application/json" } }), 400, /empty/);
    expectFailure(await call("PUT", "/api/v1/accounts/root", { auth: ROOT, raw: "[1,", headers: { "content-type": "application/json" } }), 400);
    // Without credentials too: the body is refused for what it is.
    expectFailure(await call("POST", "/api/v1/session", { raw: "{", headers: { "content-type": "application/json" } }), 400, /not valid JSON/);
  });

  it("a body that fails the schema: 400 naming the problem", async () => {
    await start();
    expectFailure(await call("POST", "/api/v1/access_hashes", { auth: ROOT, payload: { name: 5, ip: [] } }), 400);
    expectFailure(await call("POST", "/api/v1/access_hashes", { auth: ROOT, payload: [] }), 400);
    expectFailure(await call("POST", "/api/v1/access_hashes", { auth: ROOT, payload: "string" }), 400);
    expectFailure(await call("POST", "/api/v1/tokens", { auth: ROOT, payload: { name: "ok", expires_at: "soon" } }), 400);
    expectFailure(await call("GET", "/api/v1/audit?limit=0", { auth: ROOT }), 400);
    expectFailure(await call("GET", "/api/v1/audit?since=yesterday", { auth: ROOT }), 400);
  });

  it("a body over the limit: 413", async () => {
    await start({ http: { bodyLimit: 1024 } });
    const big = { name: "x".repeat(2000), ip: CLIENT };
    expectFailure(await call("POST", "/api/v1/access_hashes", { auth: ROOT, payload: big }), 413, /too large/);
    expectFailure(await call("POST", "/api/v1/access_hashes", { auth: ROOT, form: { name: "y".repeat(2000), ip: CLIENT } }), 413, /too large/);
    expectFailure(await call("POST", "/api/v1/session", { payload: { user: "root", pass: "p".repeat(2000) } }), 413);
    // Just under the limit is served.
    expectSuccess(await call("POST", "/api/v1/access_hashes", { auth: ROOT, payload: { name: "small", ip: CLIENT } }), 201);
  });

  it("no credentials: 401", async () => {
    await start();
    for (const [method, url] of [
      ["GET", "/api/v1/system/status"],
      ["GET", "/api/v1/access_hashes"],
      ["POST", "/api/v1/access_hashes"],
      ["GET", "/api/v1/accounts"],
      ["DELETE", "/api/v1/accounts/root"],
      ["GET", "/api/v1/tokens"],
      ["GET", "/api/v1/settings"],
      ["GET", "/api/v1/audit"],
      ["GET", "/api/v1/session"],
      ["DELETE", "/api/v1/session"],
    ] as Array<[Method, string]>) {
      const error = expectFailure(await call(method, url, method === "POST" ? { payload: { name: "x", ip: CLIENT } } : {}), 401, /Authentication required/);
      expect(error).toContain("access_hash");
    }
    // The REST API does not ask browsers for a Basic dialog.
    expect((await call("GET", "/api/v1/system/status")).headers["www-authenticate"]).toBeUndefined();
  });

  it("wrong credentials: 401, never saying which part was wrong", async () => {
    await start();
    const wrongs: Array<RestCall> = [
      { auth: { basic: ["root", "not-the-password"] } },
      { auth: { basic: ["nosuchuser", "whatever-password"] } },
      { auth: { whm: ["root", "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"] } },
      { auth: { whm: ["nobody", "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"] } },
      { headers: { authorization: "Bearer 0000000000000000000000000000000000000000000000000000000000000000000000000000000a" } },
    ];
    for (const [i, options] of wrongs.entries()) {
      expectFailure(await call("GET", "/api/v1/system/status", { ...options, ip: `198.51.100.${i + 1}` }), 401, ACCESS_DENIED);
    }
    // Malformed Authorization headers are 401 too, in the envelope.
    for (const [i, header] of ["Basic !!!", "Basic", "Digest x", "whm root", "whm :x", "cpanel root:x", "Negotiate abc"].entries()) {
      expectFailure(await call("GET", "/api/v1/system/status", { headers: { authorization: header }, ip: `198.51.100.${i + 50}` }), 401);
    }
  });

  it("control characters in a header: 400", async () => {
    await start();
    const response = await t.app.inject({ method: "GET", url: "/api/v1/system/status", headers: { "x-thing": "a\u0001b", ...authorization(ROOT) } });
    expectFailure(response, 400, /control characters/);
  });

  it("forbidden: 403", async () => {
    await start();
    await createReseller("res1");
    expectFailure(await call("PUT", "/api/v1/settings/max_failures_byip", { auth: RES1, payload: { value: 3 } }), 403);
    expectFailure(await call("POST", "/api/v1/accounts", { auth: RES1, payload: { username: "newres", domain: "newres.example.com", reseller: true } }), 403);
  });

  it("conflict: 409", async () => {
    await start();
    await createUser("alice");
    expectFailure(await call("POST", "/api/v1/accounts", { auth: ROOT, payload: { username: "alice", domain: "other.example.com" } }), 409, /alice/);
    expectFailure(await call("POST", "/api/v1/accounts", { auth: ROOT, payload: { username: "bob", domain: "alice.example.com" } }), 409, /alice\.example\.com/);
    await createToken({ name: "dup" });
    expectFailure(await call("POST", "/api/v1/tokens", { auth: ROOT, payload: { name: "dup" } }), 409, /dup/);
    await createToken({ name: "other" });
    expectFailure(await call("PUT", "/api/v1/tokens/other", { auth: ROOT, payload: { new_name: "dup" } }), 409);
  });

  it("lockout: 429 with Retry-After", async () => {
    await start();
    for (let i = 0; i < 5; i++) expectFailure(await call("GET", "/api/v1/system/status", { auth: { basic: ["root", `wrong-${i}`] }, ip: CLIENT }), 401, ACCESS_DENIED);
    const locked = await call("GET", "/api/v1/system/status", { auth: ROOT, ip: CLIENT });
    expectFailure(locked, 429, /Too many failed logins/);
    expect(Number(locked.headers["retry-after"])).toBeGreaterThan(0);
    // The session login is held to the same block.
    expectFailure(await call("POST", "/api/v1/session", { payload: { user: "root", pass: ROOT_PASSWORD }, ip: CLIENT }), 429);
  });

  it("unsupported or odd bodies never produce a 500", async () => {
    await start();
    const odd: Array<[Method, string, RestCall]> = [
      ["POST", "/api/v1/access_hashes", { auth: ROOT, raw: "name=x&ip=203.0.113.1", headers: { "content-type": "text/plain" } }],
      ["POST", "/api/v1/access_hashes", { auth: ROOT, raw: "\u0000\u0001binary", headers: { "content-type": "application/octet-stream" } }],
      ["POST", "/api/v1/access_hashes", { auth: ROOT, raw: "name=%zz", headers: { "content-type": "application/x-www-form-urlencoded" } }],
      ["POST", "/api/v1/access_hashes", { auth: ROOT, raw: '{"name":"x","ip":"1.2.3.4","__proto__":{"admin":true}}', headers: { "content-type": "application/json" } }],
      ["POST", "/api/v1/tokens", { auth: ROOT, payload: { name: "x", acls: ["nonsense"], whitelist_ips: ["bogus"] } }],
      ["POST", "/api/v1/accounts", { auth: ROOT, payload: { username: "root", domain: "x.example.com" } }],
      ["POST", "/api/v1/accounts", { auth: ROOT, payload: { username: "Bad Name", domain: "x" } }],
      ["PUT", "/api/v1/accounts/%E0%A4%A", { auth: ROOT, payload: { suspended: true } }],
      ["GET", "/api/v1/accounts/%00", { auth: ROOT }],
      ["GET", `/api/v1/tokens/${"x".repeat(300)}`, { auth: ROOT }],
      ["GET", "/api/v1/access_hashes/%2e%2e", { auth: ROOT }],
      ["PUT", "/api/v1/settings/nope", { auth: ROOT, payload: { value: 1 } }],
      ["PUT", "/api/v1/settings/max_failures", { auth: ROOT, payload: { value: -1 } }],
      ["DELETE", "/api/v1/accounts/root", { auth: ROOT }],
      ["POST", "/api/v1/verify", { auth: ROOT, payload: { ip: "x" } }],
      ["POST", "/api/v1/session", { payload: { user: "root\r\nx", pass: "p" } }],
      ["OPTIONS", "/api/v1/system/status", {}],
    ];
    for (const [method, url, options] of odd) {
      const response = await call(method, url, options);
      expect(response.statusCode, `${method} ${url}: ${response.body}`).toBeGreaterThanOrEqual(400);
      expect(response.statusCode, `${method} ${url}: ${response.body}`).toBeLessThan(500);
      const body = response.json<Envelope<"">>();
      expect(body, `${method} ${url}`).toEqual({ error: expect.any(String), msg: "", status: "error" });
    }
    // Odd but harmless: an empty page, not an error.
    expect(expectSuccess<AuditEntry[]>(await call("GET", "/api/v1/audit?before=%00&limit=5", { auth: ROOT }))).toEqual([]);
  });
});

describe("system status", () => {
  it("counts accounts, resellers, tokens and access hashes, with version, uptime and store health", async () => {
    await start();
    const empty = expectSuccess<SystemStatus>(await call("GET", "/api/v1/system/status", { auth: ROOT }));
    expect(empty).toEqual({
      status: "ok",
      version: KEYHOLD_VERSION,
      uptime_seconds: expect.any(Number),
      store: "ok",
      count_accounts: 1,
      count_resellers: 0,
      count_tokens: 0,
      count_access_hashes: 0,
      count_remote_access_keys: 0,
    });
    expect(Number.isInteger(empty.uptime_seconds)).toBe(true);
    expect(empty.uptime_seconds).toBeGreaterThanOrEqual(0);

    await createReseller("res1");
    await createUser("alice");
    await createToken({ name: "one" });
    await createToken({ name: "two" });
    await createToken({ name: "three" });
    await createHash({ name: "h1", ip: CLIENT });
    await createHash({ name: "h2", ip: CLIENT });
    const status = expectSuccess<SystemStatus>(await call("GET", "/api/v1/system/status", { auth: ROOT }));
    expect(status).toMatchObject({ count_accounts: 3, count_resellers: 1, count_tokens: 3, count_access_hashes: 2, count_remote_access_keys: 0 });
  });
});

describe("accounts", () => {
  it("create, list, read, update and delete", async () => {
    await start();
    const created = await createUser("alice");
    expect(created).toEqual({
      user: "alice",
      role: "user",
      owner: "root",
      domain: "alice.example.com",
      acls: [],
      suspended: false,
      has_password: true,
      created_at: Math.floor(t.clock.now() / 1000),
    });
    // A form body works the same.
    const viaForm = expectSuccess<AccountView>(await call("POST", "/api/v1/accounts", { auth: ROOT, form: { username: "bob", domain: "bob.example.com", reseller: "true" } }), 201);
    expect(viaForm).toMatchObject({ user: "bob", role: "reseller", has_password: false });

    const listed = expectSuccess<AccountView[]>(await call("GET", "/api/v1/accounts", { auth: ROOT }));
    expect(listed.map((account) => account.user).sort()).toEqual(["alice", "bob", "root"]);
    expect(JSON.stringify(listed)).not.toMatch(/password_hash|passwordHash|\$argon|\$scrypt/);
    expect(expectSuccess<AccountView>(await call("GET", "/api/v1/accounts/alice", { auth: ROOT }))).toEqual(created);
    expectFailure(await call("GET", "/api/v1/accounts/nobody", { auth: ROOT }), 404, /nobody/);

    const removed = expectSuccess<Removed>(await call("DELETE", "/api/v1/accounts/alice", { auth: ROOT }));
    expect(removed).toEqual({ user: "alice", removed: true });
    expectFailure(await call("GET", "/api/v1/accounts/alice", { auth: ROOT }), 404);
    expectFailure(await call("DELETE", "/api/v1/accounts/alice", { auth: ROOT }), 404);
    expectFailure(await call("DELETE", "/api/v1/accounts/root", { auth: ROOT }), 403);
  });

  it("refuses bad input on create", async () => {
    await start();
    expectFailure(await call("POST", "/api/v1/accounts", { auth: ROOT, payload: { username: "alice" } }), 400);
    expectFailure(await call("POST", "/api/v1/accounts", { auth: ROOT, payload: { username: "a b", domain: "ab.example.com" } }), 400);
    expectFailure(await call("POST", "/api/v1/accounts", { auth: ROOT, payload: { username: "carol", domain: "carol.example.com", password: "x" } }), 400);
    expectFailure(await call("POST", "/api/v1/accounts", { auth: ROOT, payload: { username: "carol", domain: "carol.example.com", owner: "nosuch" } }), 404);
    expect(expectSuccess<AccountView[]>(await call("GET", "/api/v1/accounts", { auth: ROOT })).map((a) => a.user)).toEqual(["root"]);
  });

  it("PUT changes the password: the new one works, the old one no longer", async () => {
    await start();
    await createReseller("res1");
    const updated = expectSuccess<AccountView>(await call("PUT", "/api/v1/accounts/res1", { auth: ROOT, payload: { password: "brand-new-password-9" } }));
    expect(updated).toMatchObject({ user: "res1", has_password: true });
    expectFailure(await call("GET", "/api/v1/session", { auth: RES1 }), 401);
    expect(expectSuccess<SessionInfo>(await call("GET", "/api/v1/session", { auth: { basic: ["res1", "brand-new-password-9"] } }))).toMatchObject({ user: "res1" });
  });

  it("PUT sets acls, reseller and suspended", async () => {
    await start();
    await createUser("alice");
    const promoted = expectSuccess<AccountView>(await call("PUT", "/api/v1/accounts/alice", { auth: ROOT, payload: { reseller: true } }));
    expect(promoted.role).toBe("reseller");
    expect(promoted.acls).toContain("manage-api-tokens");
    const narrowed = expectSuccess<AccountView>(await call("PUT", "/api/v1/accounts/alice", { auth: ROOT, payload: { acls: ["list-accts", "create-acct"] } }));
    expect([...narrowed.acls].sort()).toEqual(["create-acct", "list-accts"]);
    const suspended = expectSuccess<AccountView>(await call("PUT", "/api/v1/accounts/alice", { auth: ROOT, form: { suspended: "true" } }));
    expect(suspended.suspended).toBe(true);
    expectFailure(await call("GET", "/api/v1/session", { auth: { basic: ["alice", "alice-password-1"] } }), 401, ACCESS_DENIED);
    expect(expectSuccess<AccountView>(await call("PUT", "/api/v1/accounts/alice", { auth: ROOT, payload: { suspended: false } })).suspended).toBe(false);
    expectSuccess(await call("GET", "/api/v1/session", { auth: { basic: ["alice", "alice-password-1"] } }));
    const demoted = expectSuccess<AccountView>(await call("PUT", "/api/v1/accounts/alice", { auth: ROOT, payload: { reseller: false } }));
    expect(demoted).toMatchObject({ role: "user", acls: [] });
  });

  it("a refused PUT changes nothing", async () => {
    await start();
    await createReseller("res1");
    await createUser("alice", "res1");
    const before = expectSuccess<AccountView>(await call("GET", "/api/v1/accounts/res1", { auth: ROOT }));
    const aliceBefore = expectSuccess<AccountView>(await call("GET", "/api/v1/accounts/alice", { auth: ROOT }));
    const refusals: Array<[string, Auth, unknown, number]> = [
      // nothing to change
      ["res1", ROOT, {}, 400],
      // a weak password with other changes
      ["res1", ROOT, { suspended: true, password: "x" }, 400],
      // an unknown ACL with other changes
      ["res1", ROOT, { suspended: true, acls: ["list-accts", "no-such-acl"] }, 400],
      ["res1", ROOT, { reseller: true, acls: ["no-such-acl"], password: "another-password-7" }, 400],
      // acls for an account that stops being a reseller
      ["res1", ROOT, { reseller: false, acls: ["list-accts"] }, 400],
      // a reseller may not change its privileges, its reseller status or root's
      ["res1", RES1, { acls: ["all"], password: "another-password-7" }, 403],
      ["res1", RES1, { reseller: false, password: "another-password-7" }, 403],
      ["root", RES1, { password: "another-password-7" }, 403],
      // root cannot be suspended, whatever else is asked
      ["root", ROOT, { suspended: true, password: "another-password-7" }, 403],
      // a reseller lacking suspend-acct may not suspend its own account's user
      ["alice", RES1, { suspended: true, password: "another-password-7" }, 403],
    ];
    for (const [user, auth, payload, status] of refusals) {
      expectFailure(await call("PUT", `/api/v1/accounts/${user}`, { auth, payload }), status);
    }
    expect(expectSuccess<AccountView>(await call("GET", "/api/v1/accounts/res1", { auth: ROOT }))).toEqual(before);
    expect(expectSuccess<AccountView>(await call("GET", "/api/v1/accounts/alice", { auth: ROOT }))).toEqual(aliceBefore);
    // Passwords unchanged too.
    expectSuccess(await call("GET", "/api/v1/session", { auth: RES1 }));
    expectSuccess(await call("GET", "/api/v1/session", { auth: ROOT }));
    expectSuccess(await call("GET", "/api/v1/session", { auth: { basic: ["alice", "alice-password-1"] } }));
  });

  it("a PUT whose last write fails leaves none of its earlier writes behind", async () => {
    await start();
    await createReseller("res1");
    const before = expectSuccess<AccountView>(await call("GET", "/api/v1/accounts/res1", { auth: ROOT }));
    // The store fails at the password step, after the privileges and suspension were written in the same transaction.
    const store = t.store;
    const transaction = store.transaction.bind(store);
    store.transaction = (work) =>
      transaction((tx) =>
        work(
          new Proxy(tx, {
            get: (target, key, receiver) =>
              key === "deleteAccountSessions" ? async () => Promise.reject(new Error("disk full")) : Reflect.get(target, key, receiver),
          }),
        ),
      );
    const failed = await call("PUT", "/api/v1/accounts/res1", { auth: ROOT, payload: { acls: ["list-accts"], suspended: true, password: "another-password-7" } });
    expect(failed.statusCode).toBe(500);
    store.transaction = transaction;
    expect(expectSuccess<AccountView>(await call("GET", "/api/v1/accounts/res1", { auth: ROOT }))).toEqual(before);
    expectSuccess(await call("GET", "/api/v1/session", { auth: RES1 }));
  });

  it("a reseller with suspend-acct but not passwd: suspending with a password change is refused as a whole", async () => {
    await start();
    await createReseller("res1");
    await createUser("alice", "res1");
    expectSuccess(await call("PUT", "/api/v1/accounts/res1", { auth: ROOT, payload: { acls: ["list-accts", "suspend-acct", "manage-api-tokens"] } }));
    expectFailure(await call("PUT", "/api/v1/accounts/alice", { auth: RES1, payload: { suspended: true, password: "another-password-7" } }), 403, /passwd/);
    expect(expectSuccess<AccountView>(await call("GET", "/api/v1/accounts/alice", { auth: ROOT })).suspended).toBe(false);
    // Suspension alone is within its privileges.
    expect(expectSuccess<AccountView>(await call("PUT", "/api/v1/accounts/alice", { auth: RES1, payload: { suspended: true } })).suspended).toBe(true);
  });

  it("a PUT for an account that does not exist is 404", async () => {
    await start();
    expectFailure(await call("PUT", "/api/v1/accounts/ghost", { auth: ROOT, payload: { suspended: true } }), 404, /ghost/);
    expectFailure(await call("PUT", "/api/v1/accounts/ghost", { auth: ROOT, payload: { password: "another-password-7" } }), 404, /ghost/);
  });
});

describe("API tokens", () => {
  it("create (shown once), list, read, update and revoke", async () => {
    await start();
    const created = await createToken({ name: "deploy", acls: ["list-accts"], whitelist_ips: ["198.51.100.0/24"] });
    expect(created.token).toMatch(/^[0-9A-Z]{32}$/);
    expect(created).toMatchObject({ user: "root", name: "deploy", full_access: false, acls: ["list-accts"], whitelist_ips: ["198.51.100.0/24"], expires_at: null });

    const list = await call("GET", "/api/v1/tokens", { auth: ROOT });
    const listed = expectSuccess<TokenView[]>(list);
    expect(listed.map((token) => token.name)).toEqual(["deploy"]);
    expect(list.body).not.toContain(created.token);
    expect(listed[0]!.token).toBeUndefined();

    const one = await call("GET", "/api/v1/tokens/deploy", { auth: ROOT });
    expect(expectSuccess<TokenView>(one)).toMatchObject({ name: "deploy" });
    expect(one.body).not.toContain(created.token);
    expectFailure(await call("GET", "/api/v1/tokens/nope", { auth: ROOT }), 404, /nope/);

    const expiresAt = Math.floor(t.clock.now() / 1000) + 3600;
    const updated = expectSuccess<TokenView>(await call("PUT", "/api/v1/tokens/deploy", { auth: ROOT, payload: { new_name: "deploy2", expires_at: expiresAt, whitelist_ips: [] } }));
    expect(updated).toMatchObject({ name: "deploy2", expires_at: expiresAt, whitelist_ips: null });
    expectFailure(await call("GET", "/api/v1/tokens/deploy", { auth: ROOT }), 404);

    // The token works on the WHM side, from anywhere now.
    expect((await t.whm("listaccts", {}, { whm: ["root", created.token] }, "192.0.2.1")).status).toBe(200);
    expect(expectSuccess<Revoked>(await call("DELETE", "/api/v1/tokens/deploy2", { auth: ROOT }))).toEqual({ name: "deploy2", revoked: true });
    expectFailure(await call("DELETE", "/api/v1/tokens/deploy2", { auth: ROOT }), 404);
    expect(expectSuccess<TokenView[]>(await call("GET", "/api/v1/tokens", { auth: ROOT }))).toEqual([]);
  });

  it("a revoked token fails on the WHM side at once", async () => {
    await start();
    const { token } = await createToken({ name: "ci" });
    const before = await t.whm("version", {}, { whm: ["root", token] });
    expect(before.status).toBe(200);
    expect(before.body.metadata.result).toBe(1);
    expectSuccess(await call("DELETE", "/api/v1/tokens/ci", { auth: ROOT }));
    const after = await t.whm("version", {}, { whm: ["root", token] });
    expect(after.status).toBe(401);
    expect(after.body.metadata.result).toBe(0);
    // And on the REST side.
    expectFailure(await call("GET", "/api/v1/system/status", { auth: { whm: ["root", token] } }), 401, ACCESS_DENIED);
  });

  it("a token created on the WHM side is managed on the REST side, and the other way round", async () => {
    await start();
    const whmCreated = await t.whm("api_token_create", { token_name: "from-whm" });
    expect(whmCreated.body.metadata.result).toBe(1);
    await createToken({ name: "from-rest" });
    const names = (await t.whm("api_token_list")).body.data.tokens as Record<string, unknown>;
    expect(Object.keys(names).sort()).toEqual(["from-rest", "from-whm"]);
    expect(expectSuccess<TokenView[]>(await call("GET", "/api/v1/tokens", { auth: ROOT })).map((token) => token.name).sort()).toEqual(["from-rest", "from-whm"]);
  });

  it("refuses a new token over plain HTTP from another machine", async () => {
    await start();
    expectFailure(await call("POST", "/api/v1/tokens", { auth: ROOT, payload: { name: "remote" }, ip: "192.0.2.44" }), 403, /HTTPS/);
    expect(expectSuccess<TokenView[]>(await call("GET", "/api/v1/tokens", { auth: ROOT }))).toEqual([]);
  });

  it("refuses bad token input", async () => {
    await start();
    expectFailure(await call("POST", "/api/v1/tokens", { auth: ROOT, payload: { name: "bad name!" } }), 400);
    expectFailure(await call("POST", "/api/v1/tokens", { auth: ROOT, payload: { name: "ok", acls: ["no-such-acl"] } }), 400);
    expectFailure(await call("POST", "/api/v1/tokens", { auth: ROOT, payload: { name: "ok", whitelist_ips: ["10.0.0.1/8"] } }), 400);
    expectFailure(await call("POST", "/api/v1/tokens", { auth: ROOT, payload: { name: "ok", user: "ghost" } }), 404);
    expect(expectSuccess<TokenView[]>(await call("GET", "/api/v1/tokens", { auth: ROOT }))).toEqual([]);
  });
});

describe("Remote Access Key (WHM access hash)", () => {
  it("is refused while allow_deprecated_accesshash is 0, and works once it is 1", async () => {
    await start();
    expectFailure(await call("GET", "/api/v1/accounts/root/accesshash", { auth: ROOT }), 403, /allow_deprecated_accesshash/);
    expectFailure(await call("POST", "/api/v1/accounts/root/accesshash", { auth: ROOT }), 403, /allow_deprecated_accesshash/);
    expect(expectSuccess<SystemStatus>(await call("GET", "/api/v1/system/status", { auth: ROOT })).count_remote_access_keys).toBe(0);

    expect(expectSuccess<SettingView>(await call("PUT", "/api/v1/settings/allow_deprecated_accesshash", { auth: ROOT, payload: { value: 1 } }))).toMatchObject({
      key: "allow_deprecated_accesshash",
      value: 1,
    });
    expectFailure(await call("GET", "/api/v1/accounts/root/accesshash", { auth: ROOT }), 404, /No accesshash exists for root/);

    const generated = expectSuccess<RemoteAccessKey>(await call("POST", "/api/v1/accounts/root/accesshash", { auth: ROOT }), 201);
    expect(generated.user).toBe("root");
    expect(generated.accesshash).toMatch(/^[0-9a-f]+$/);
    expect(generated.accesshash.length).toBeGreaterThanOrEqual(32);
    expect(generated.signature).toHaveLength(47);
    expect(generated.signature).toMatch(/^[0-9a-f]{2}(:[0-9a-f]{2}){15}$/);
    expect(generated.signature.replaceAll(":", "")).toBe(generated.accesshash.slice(0, 32));

    const read = expectSuccess<RemoteAccessKey>(await call("GET", "/api/v1/accounts/root/accesshash", { auth: ROOT }));
    expect(read).toMatchObject({ user: "root", accesshash: generated.accesshash, signature: generated.signature });
    expect(expectSuccess<SystemStatus>(await call("GET", "/api/v1/system/status", { auth: ROOT })).count_remote_access_keys).toBe(1);

    // It authenticates on the WHM side and on REST (as the `whm` header), until replaced.
    expect((await t.whm("version", {}, { whm: ["root", generated.accesshash] })).status).toBe(200);
    const who = expectSuccess<SessionInfo>(await call("GET", "/api/v1/session", { auth: { whm: ["root", generated.accesshash] } }));
    expect(who.credential.kind).toBe("accesshash");
    const replaced = expectSuccess<RemoteAccessKey>(await call("POST", "/api/v1/accounts/root/accesshash", { auth: ROOT }), 201);
    expect(replaced.accesshash).not.toBe(generated.accesshash);
    expect((await t.whm("version", {}, { whm: ["root", generated.accesshash] })).status).toBe(401);
    expect((await t.whm("version", {}, { whm: ["root", replaced.accesshash] })).status).toBe(200);
  });

  it("follows WHM's rules: a plain user has none, a reseller only its own, secrets only over a secure channel", async () => {
    await start({ settings: { allow_deprecated_accesshash: "1" } });
    await createReseller("res1");
    await createReseller("res2");
    await createUser("alice");
    expectFailure(await call("POST", "/api/v1/accounts/alice/accesshash", { auth: ROOT }), 400, /User alice is not a reseller/);
    expect(expectSuccess<RemoteAccessKey>(await call("POST", "/api/v1/accounts/res1/accesshash", { auth: RES1 }), 201).user).toBe("res1");
    expectFailure(await call("GET", "/api/v1/accounts/res2/accesshash", { auth: RES1 }), 403, /another user's accesshash/);
    expectFailure(await call("POST", "/api/v1/accounts/res2/accesshash", { auth: RES1 }), 403, /another user's accesshash/);
    expectFailure(await call("GET", "/api/v1/accounts/res1/accesshash", { auth: RES1, ip: "192.0.2.44" }), 403, /HTTPS/);
    expectFailure(await call("POST", "/api/v1/accounts/res1/accesshash", { auth: RES1, ip: "192.0.2.44" }), 403, /HTTPS/);
  });
});

describe("settings", () => {
  it("GET lists every setting; PUT (root) changes one, by JSON or form", async () => {
    await start();
    const settings = expectSuccess<SettingView[]>(await call("GET", "/api/v1/settings", { auth: ROOT }));
    const keys = settings.map((setting) => setting.key);
    expect(keys).toEqual(expect.arrayContaining(["allow_deprecated_accesshash", "max_failures_byip", "ip_based_protection"]));
    expect(settings.find((s) => s.key === "max_failures_byip")).toMatchObject({ value: 5, default: 5 });

    expect(expectSuccess<SettingView>(await call("PUT", "/api/v1/settings/max_failures_byip", { auth: ROOT, payload: { value: 2 } }))).toMatchObject({ key: "max_failures_byip", value: 2, default: 5 });
    expect(expectSuccess<SettingView>(await call("PUT", "/api/v1/settings/max_failures", { auth: ROOT, form: { value: "7" } }))).toMatchObject({ key: "max_failures", value: 7 });
    const after = expectSuccess<SettingView[]>(await call("GET", "/api/v1/settings", { auth: ROOT }));
    expect(after.find((s) => s.key === "max_failures_byip")!.value).toBe(2);
    // It takes effect: two failures now block the address.
    for (let i = 0; i < 2; i++) expectFailure(await call("GET", "/api/v1/system/status", { auth: { basic: ["root", `wrong-${i}`] }, ip: CLIENT }), 401);
    expectFailure(await call("GET", "/api/v1/system/status", { auth: ROOT, ip: CLIENT }), 429);
  });

  it("GET shows anyone but root only whether access hashes are on, not the brute-force limits", async () => {
    await start();
    await createReseller("res1");
    const seen = expectSuccess<SettingView[]>(await call("GET", "/api/v1/settings", { auth: RES1 }));
    expect(seen).toEqual([expect.objectContaining({ key: "allow_deprecated_accesshash", value: 0 })]);
  });

  it("refuses unknown keys, bad values and non-root callers, changing nothing", async () => {
    await start();
    await createReseller("res1");
    expectFailure(await call("PUT", "/api/v1/settings/no_such_setting", { auth: ROOT, payload: { value: 1 } }), 400, /Unknown setting/);
    expectFailure(await call("PUT", "/api/v1/settings/allow_deprecated_accesshash", { auth: ROOT, payload: { value: 2 } }), 400);
    expectFailure(await call("PUT", "/api/v1/settings/max_failures_byip", { auth: ROOT, payload: { value: "lots" } }), 400);
    expectFailure(await call("PUT", "/api/v1/settings/max_failures_byip", { auth: ROOT, payload: {} }), 400);
    expectFailure(await call("PUT", "/api/v1/settings/max_failures_byip", { auth: RES1, payload: { value: 100 } }), 403);
    expectFailure(await call("PUT", "/api/v1/settings/allow_deprecated_accesshash", { auth: RES1, payload: { value: 1 } }), 403);
    const settings = expectSuccess<SettingView[]>(await call("GET", "/api/v1/settings", { auth: ROOT }));
    for (const setting of settings) expect(setting.value, setting.key).toBe(setting.default);
  });
});

describe("audit log", () => {
  it("filters by action, actor, target, time and limit", async () => {
    await start();
    // Entries of one millisecond have no defined order among themselves; space them out.
    t.clock.advance(1000);
    await createReseller("res1");
    t.clock.advance(1000);
    const t0 = t.clock.now();
    t.clock.advance(60_000);
    await createUser("alice");
    await createToken({ name: "audited" });
    const t1 = t.clock.now();
    t.clock.advance(60_000);
    await createHash({ name: "hashy", ip: CLIENT });

    const creates = expectSuccess<AuditEntry[]>(await call("GET", "/api/v1/audit?action=account.create", { auth: ROOT }));
    expect(creates.map((entry) => entry.target)).toEqual(["alice", "res1", "root"]);
    for (const entry of creates) {
      expect(Object.keys(entry).sort()).toEqual(["action", "actor", "at", "detail", "id", "ip", "outcome", "target"]);
    }
    expect(expectSuccess<AuditEntry[]>(await call("GET", "/api/v1/audit?target=alice", { auth: ROOT })).map((entry) => entry.action)).toEqual(["account.create"]);
    expect(expectSuccess<AuditEntry[]>(await call("GET", "/api/v1/audit?action=token.create", { auth: ROOT }))).toEqual([
      expect.objectContaining({ actor: "root", target: "root/audited", ip: "127.0.0.1", outcome: "success" }),
    ]);
    const windowed = expectSuccess<AuditEntry[]>(await call("GET", `/api/v1/audit?since=${t0 + 1}&until=${t1 + 1}`, { auth: ROOT }));
    expect(windowed.map((entry) => entry.action).sort()).toEqual(["account.create", "token.create"]);
    expect(expectSuccess<AuditEntry[]>(await call("GET", "/api/v1/audit?limit=1", { auth: ROOT }))).toEqual([expect.objectContaining({ action: "ip-access-hash.create" })]);
    const page = expectSuccess<AuditEntry[]>(await call("GET", "/api/v1/audit?limit=2", { auth: ROOT }));
    const next = expectSuccess<AuditEntry[]>(await call("GET", `/api/v1/audit?limit=2&before=${page[1]!.id}`, { auth: ROOT }));
    expect(next[0]!.id < page[1]!.id).toBe(true);
    expect(expectSuccess<AuditEntry[]>(await call("GET", "/api/v1/audit?actor=nobody", { auth: ROOT }))).toEqual([]);
  });

  it("a reseller reads only its own actions", async () => {
    await start();
    await createReseller("res1");
    await createHash({ name: "mine", ip: CLIENT }, RES1);
    const entries = expectSuccess<AuditEntry[]>(await call("GET", "/api/v1/audit", { auth: RES1 }));
    expect(entries.length).toBeGreaterThan(0);
    expect(entries.every((entry) => entry.actor === "res1")).toBe(true);
    expect(expectSuccess<AuditEntry[]>(await call("GET", "/api/v1/audit?actor=root", { auth: RES1 }))).toEqual([]);
  });

  it("never contains a secret: passwords, token plaintexts, access hashes", async () => {
    await start();
    const secrets: string[] = [ROOT_PASSWORD];
    await createReseller("res1");
    secrets.push("res1-password-1");
    await createUser("alice");
    secrets.push("alice-password-1");
    expectSuccess(await call("PUT", "/api/v1/accounts/alice", { auth: ROOT, payload: { password: "alice-new-password-2" } }));
    secrets.push("alice-new-password-2");
    const token = await createToken({ name: "secret-token" });
    secrets.push(token.token);
    const resToken = await createToken({ name: "res-token" }, RES1);
    secrets.push(resToken.token);
    const hash = await createHash({ name: "secret-hash", ip: CLIENT });
    secrets.push(hash.access_hash);
    expectSuccess(await call("PUT", "/api/v1/settings/allow_deprecated_accesshash", { auth: ROOT, payload: { value: 1 } }));
    const key = expectSuccess<RemoteAccessKey>(await call("POST", "/api/v1/accounts/root/accesshash", { auth: ROOT }), 201);
    secrets.push(key.accesshash, key.signature);
    const { cookie, securityToken } = await login("root", ROOT_PASSWORD);
    secrets.push(cookie);
    // Uses and failed uses of each.
    await call("GET", "/api/v1/system/status", { auth: { whm: ["root", token.token] } });
    await call("GET", "/api/v1/system/status", { cookies: { access_hash: hash.access_hash }, ip: CLIENT });
    await call("GET", "/api/v1/system/status", { cookies: { access_hash: hash.access_hash }, ip: "198.51.100.1" });
    await call("GET", "/api/v1/system/status", { auth: { basic: ["root", "wrong-guess-secret"] }, ip: "198.51.100.2" });
    secrets.push("wrong-guess-secret");
    await call("GET", "/api/v1/system/status", { auth: { whm: ["root", "GUESSEDTOKENGUESSEDTOKEN12345678"] }, ip: "198.51.100.3" });
    secrets.push("GUESSEDTOKENGUESSEDTOKEN12345678");
    await call("GET", "/api/v1/session", { cookies: { whostmgrsession: cookie }, headers: { "x-csrf-token": securityToken } });
    expectSuccess(await call("DELETE", "/api/v1/tokens/secret-token", { auth: ROOT }));
    expectSuccess(await call("DELETE", `/api/v1/access_hashes/${hash.id}`, { auth: ROOT }));

    const audit = await call("GET", "/api/v1/audit?limit=1000", { auth: ROOT });
    const entries = expectSuccess<AuditEntry[]>(audit);
    expect(entries.length).toBeGreaterThan(10);
    expect(entries.some((entry) => entry.action === "login.failure")).toBe(true);
    for (const secret of secrets) expect(audit.body, "a secret in the audit log").not.toContain(secret);
    expect(audit.body).not.toContain(hash.access_hash.slice(8, 40));
    expect(audit.body).not.toContain(key.accesshash.slice(32, 64));
  });
});

describe("browser sessions", () => {
  it("POST /session sets a cookie and returns a security token; GET works with both, not the cookie alone; DELETE logs out", async () => {
    await start();
    const { cookie, securityToken, response } = await login("root", ROOT_PASSWORD);
    expect(securityToken).toMatch(/^cpsess\d{10}$/);
    const setCookie = response.cookies.find((c) => c.name === "whostmgrsession")!;
    expect(setCookie.httpOnly).toBe(true);
    expect(String(setCookie.sameSite).toLowerCase()).toBe("strict");
    expect(setCookie.path).toBe("/");
    expect(response.json<Envelope<SessionInfo>>().msg).toMatchObject({ user: "root", role: "root", credential: { kind: "session" } });

    const who = expectSuccess<SessionInfo>(await call("GET", "/api/v1/session", { cookies: { whostmgrsession: cookie }, headers: { "x-csrf-token": securityToken } }));
    expect(who).toMatchObject({ user: "root", role: "root", credential: { kind: "session", name: null } });
    expect(who.acls).toContain("all");
    // Other routes too.
    expectSuccess(await call("GET", "/api/v1/system/status", { cookies: { whostmgrsession: cookie }, headers: { "x-csrf-token": securityToken } }));

    expectFailure(await call("GET", "/api/v1/session", { cookies: { whostmgrsession: cookie } }), 401);
    expectFailure(await call("GET", "/api/v1/session", { cookies: { whostmgrsession: cookie }, headers: { "x-csrf-token": "cpsess0000000000" } }), 401, ACCESS_DENIED);
    expectFailure(await call("GET", "/api/v1/session", { cookies: { whostmgrsession: cookie }, headers: { "x-csrf-token": "nonsense" } }), 401);
    expectFailure(await call("GET", "/api/v1/session", { cookies: { whostmgrsession: "forged" }, headers: { "x-csrf-token": securityToken } }), 401);

    const out = await call("DELETE", "/api/v1/session", { cookies: { whostmgrsession: cookie }, headers: { "x-csrf-token": securityToken } });
    expect(expectSuccess<LoggedOut>(out)).toEqual({ logged_out: true });
    const cleared = out.cookies.find((c) => c.name === "whostmgrsession");
    expect(cleared?.value ?? "").toBe("");
    expectFailure(await call("GET", "/api/v1/session", { cookies: { whostmgrsession: cookie }, headers: { "x-csrf-token": securityToken } }), 401, ACCESS_DENIED);
  });

  it("refuses a wrong password (401) and a plain user (403)", async () => {
    await start();
    await createUser("alice");
    const wrong = await call("POST", "/api/v1/session", { payload: { user: "root", pass: "nope" } });
    expectFailure(wrong, 401, /login is invalid/);
    expect(wrong.cookies.find((c) => c.name === "whostmgrsession")).toBeUndefined();
    expectFailure(await call("POST", "/api/v1/session", { payload: { user: "alice", pass: "alice-password-1" } }), 403);
    expectFailure(await call("POST", "/api/v1/session", { payload: { user: "root" } }), 400);
  });

  it("a form login works as well", async () => {
    await start();
    const response = await call("POST", "/api/v1/session", { form: { user: "root", pass: ROOT_PASSWORD } });
    expect(expectSuccess<SessionInfo>(response, 201).security_token).toMatch(/^cpsess\d{10}$/);
  });
});

describe("every credential kind works on REST", () => {
  it("session, Basic, whm user:token, access hash cookie and Bearer", async () => {
    await start();
    const { token } = await createToken({ name: "rest-client" });
    const hash = await createHash({ name: "panel", ip: CLIENT });
    const { cookie, securityToken } = await login("root", ROOT_PASSWORD);
    const ways: Array<[string, RestCall]> = [
      ["session", { cookies: { whostmgrsession: cookie }, headers: { "x-csrf-token": securityToken } }],
      ["password", { auth: ROOT }],
      ["api-token", { auth: { whm: ["root", token] } }],
      ["api-token", { headers: { authorization: `WHM root:${token}` } }],
      ["ip-access-hash", { cookies: { access_hash: hash.access_hash }, ip: CLIENT }],
      ["ip-access-hash", { headers: { authorization: `Bearer ${hash.access_hash}` }, ip: CLIENT }],
    ];
    for (const [kind, options] of ways) {
      const who = expectSuccess<SessionInfo>(await call("GET", "/api/v1/session", options));
      expect(who, kind).toMatchObject({ user: "root", credential: { kind } });
      // And a management call with it.
      expect(expectSuccess<AccountView[]>(await call("GET", "/api/v1/accounts", options)).map((a) => a.user)).toEqual(["root"]);
    }
  });

  it("a token's ACL list limits what it may do on REST", async () => {
    await start();
    await createReseller("res1");
    const { token } = await createToken({ name: "narrow", acls: ["list-accts"] });
    expectSuccess(await call("GET", "/api/v1/accounts", { auth: { whm: ["root", token] } }));
    expectFailure(await call("POST", "/api/v1/accounts", { auth: { whm: ["root", token] }, payload: { username: "zed", domain: "zed.example.com" } }), 403);
    expectFailure(await call("PUT", "/api/v1/settings/max_failures", { auth: { whm: ["root", token] }, payload: { value: 3 } }), 403);
  });
});

describe("permissions: resellers", () => {
  async function twoResellers(): Promise<void> {
    await start();
    await createReseller("res1");
    await createReseller("res2");
    await createUser("u1", "res1");
    await createUser("u2", "res2");
  }

  it("a reseller creates access hashes for itself and for accounts it owns, not for anyone else's", async () => {
    await twoResellers();
    const own = await createHash({ name: "own", ip: CLIENT }, RES1);
    expect(own.user).toBe("res1");
    const owned = await createHash({ name: "for-u1", ip: CLIENT, user: "u1" }, RES1);
    expect(owned.user).toBe("u1");
    // Another reseller's accounts (and root) answer as a missing account would.
    for (const other of ["res2", "u2", "root"]) {
      expectFailure(await call("POST", "/api/v1/access_hashes", { auth: RES1, payload: { name: "x", ip: CLIENT, user: other } }), 404, `The account “${other}” does not exist.`);
    }
    // The hashes work as their accounts.
    expect(expectSuccess<SessionInfo>(await call("GET", "/api/v1/session", { cookies: { access_hash: own.access_hash }, ip: CLIENT })).user).toBe("res1");
    expect(expectSuccess<SessionInfo>(await call("GET", "/api/v1/session", { cookies: { access_hash: owned.access_hash }, ip: CLIENT })).user).toBe("u1");
  });

  it("a reseller cannot see, read, update or delete another reseller's hashes: 404, as for a missing id", async () => {
    await twoResellers();
    const mine = await createHash({ name: "mine", ip: CLIENT }, RES1);
    const mineForU1 = await createHash({ name: "mine-u1", ip: CLIENT, user: "u1" }, RES1);
    const theirs = await createHash({ name: "theirs", ip: CLIENT }, RES2);
    const theirsForU2 = await createHash({ name: "theirs-u2", ip: CLIENT, user: "u2" }, RES2);
    const roots = await createHash({ name: "roots", ip: CLIENT });

    const listed = expectSuccess<IpAccessHashView[]>(await call("GET", "/api/v1/access_hashes", { auth: RES1 }));
    expect(listed.map((h) => h.id).sort()).toEqual([mine.id, mineForU1.id].sort());
    const all = expectSuccess<IpAccessHashView[]>(await call("GET", "/api/v1/access_hashes", { auth: ROOT }));
    expect(all).toHaveLength(5);

    const missing = "iah_00000000000000000000";
    const missingError = expectFailure(await call("GET", `/api/v1/access_hashes/${missing}`, { auth: RES1 }), 404);
    for (const other of [theirs, theirsForU2, roots]) {
      const url = `/api/v1/access_hashes/${other.id}`;
      const read = expectFailure(await call("GET", url, { auth: RES1 }), 404);
      expect(read).toBe(missingError.replace(missing, other.id));
      expectFailure(await call("PUT", url, { auth: RES1, payload: { ip: "198.51.100.1" } }), 404);
      expectFailure(await call("DELETE", url, { auth: RES1 }), 404);
    }
    // Nothing changed, and they still work.
    const after = expectSuccess<IpAccessHashView[]>(await call("GET", "/api/v1/access_hashes", { auth: ROOT }));
    expect(after.find((h) => h.id === theirs.id)).toMatchObject({ ip: CLIENT, name: "theirs" });
    expect(after).toHaveLength(5);
    expectSuccess(await call("GET", "/api/v1/system/status", { cookies: { access_hash: theirs.access_hash }, ip: CLIENT }));
    // Using its own access hash instead of a password changes nothing.
    expectFailure(await call("GET", `/api/v1/access_hashes/${theirs.id}`, { cookies: { access_hash: mine.access_hash }, ip: CLIENT }), 404);
    expect(expectSuccess<IpAccessHashView[]>(await call("GET", "/api/v1/access_hashes", { headers: { authorization: `Bearer ${mine.access_hash}` }, ip: CLIENT })).map((h) => h.id).sort()).toEqual(
      [mine.id, mineForU1.id].sort(),
    );
    // Its own it can manage.
    expect(expectSuccess<IpAccessHashView>(await call("PUT", `/api/v1/access_hashes/${mineForU1.id}`, { auth: RES1, payload: { name: "renamed" } })).name).toBe("renamed");
    expectSuccess(await call("DELETE", `/api/v1/access_hashes/${mineForU1.id}`, { auth: RES1 }));
  });

  it("a reseller cannot see or touch another reseller's accounts", async () => {
    await twoResellers();
    // Without list-accts (the default) it lists nothing.
    expectFailure(await call("GET", "/api/v1/accounts", { auth: RES1 }), 403);
    // With it, only its own accounts.
    expectSuccess(await call("PUT", "/api/v1/accounts/res1", { auth: ROOT, payload: { acls: ["list-accts", "manage-api-tokens", "suspend-acct", "passwd", "kill-acct"] } }));
    expect(expectSuccess<AccountView[]>(await call("GET", "/api/v1/accounts", { auth: RES1 })).map((a) => a.user)).toEqual(["u1"]);
    expect(expectSuccess<AccountView>(await call("GET", "/api/v1/accounts/u1", { auth: RES1 })).user).toBe("u1");
    for (const other of ["res2", "u2", "root"]) {
      const status = (await call("GET", `/api/v1/accounts/${other}`, { auth: RES1 })).statusCode;
      expect([403, 404]).toContain(status);
      expectFailure(await call("GET", `/api/v1/accounts/${other}`, { auth: RES1 }), status);
      expect([403, 404]).toContain((await call("PUT", `/api/v1/accounts/${other}`, { auth: RES1, payload: { suspended: true } })).statusCode);
      expect([403, 404]).toContain((await call("PUT", `/api/v1/accounts/${other}`, { auth: RES1, payload: { password: "taken-over-password-1" } })).statusCode);
      expect([403, 404]).toContain((await call("DELETE", `/api/v1/accounts/${other}`, { auth: RES1 })).statusCode);
      expect([403, 404]).toContain((await call("GET", `/api/v1/tokens?user=${other}`, { auth: RES1 })).statusCode);
      expect([403, 404]).toContain((await call("POST", "/api/v1/tokens", { auth: RES1, payload: { name: "stolen", user: other } })).statusCode);
    }
    const u2 = expectSuccess<AccountView>(await call("GET", "/api/v1/accounts/u2", { auth: ROOT }));
    expect(u2.suspended).toBe(false);
    expectSuccess(await call("GET", "/api/v1/session", { auth: RES2 }));
    expectSuccess(await call("GET", "/api/v1/session", { auth: { basic: ["u2", "u2-password-1"] } }));
    expect(expectSuccess<AccountView[]>(await call("GET", "/api/v1/accounts", { auth: ROOT })).map((a) => a.user).sort()).toEqual(["res1", "res2", "root", "u1", "u2"]);
    // Its own user it may suspend.
    expect(expectSuccess<AccountView>(await call("PUT", "/api/v1/accounts/u1", { auth: RES1, payload: { suspended: true } })).suspended).toBe(true);
  });

  it("a reseller cannot change settings or create resellers", async () => {
    await twoResellers();
    expectFailure(await call("PUT", "/api/v1/settings/allow_deprecated_accesshash", { auth: RES1, payload: { value: 1 } }), 403);
    expectFailure(await call("PUT", "/api/v1/accounts/u1", { auth: RES1, payload: { reseller: true } }), 403);
    expectFailure(await call("PUT", "/api/v1/accounts/res1", { auth: RES1, payload: { acls: ["all"] } }), 403);
    expect(expectSuccess<SettingView[]>(await call("GET", "/api/v1/settings", { auth: ROOT })).find((s) => s.key === "allow_deprecated_accesshash")!.value).toBe(0);
    expect(expectSuccess<AccountView>(await call("GET", "/api/v1/accounts/res1", { auth: ROOT })).acls).not.toContain("all");
  });

  it("an account without manage-api-tokens cannot manage access hashes at all", async () => {
    await twoResellers();
    const U1: Auth = { basic: ["u1", "u1-password-1"] };
    expectFailure(await call("GET", "/api/v1/access_hashes", { auth: U1 }), 403, /manage-api-tokens/);
    expectFailure(await call("POST", "/api/v1/access_hashes", { auth: U1, payload: { name: "x", ip: CLIENT } }), 403, /manage-api-tokens/);
    // Taking the privilege from a reseller takes hash management from it (and from its hashes) at once.
    const hash = await createHash({ name: "mine", ip: CLIENT }, RES1);
    expectSuccess(await call("PUT", "/api/v1/accounts/res1", { auth: ROOT, payload: { acls: ["list-accts"] } }));
    expectFailure(await call("GET", "/api/v1/access_hashes", { auth: RES1 }), 403);
    expectFailure(await call("GET", "/api/v1/access_hashes", { cookies: { access_hash: hash.access_hash }, ip: CLIENT }), 403);
    expectFailure(await call("DELETE", `/api/v1/access_hashes/${hash.id}`, { auth: RES1 }), 403);
  });
});
