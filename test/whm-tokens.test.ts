import { createHash } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { DEFAULT_RESELLER_ACLS, KNOWN_ACLS } from "../src/core/acl.js";
import { CLI_ACTOR } from "../src/core/actor.js";
import { mayBeIssuedToken } from "../src/core/credentials/api-token.js";
import { ROOT, ROOT_PASSWORD, accountFixtures, basic, basicHeader, createTestApp, nowSeconds, passwordOf, whm, whmStatus, type Auth, type TestApp, type TestAppOptions, type WhmResult } from "./harness.js";

// WHM API tokens: api_token_* (reference §3.4) and `Authorization: whm user:TOKEN` (§3.2, §3.3; issue 3).

let t: TestApp;
afterEach(async () => t?.close());
const { createReseller, setAcls } = accountFixtures(() => t);

const TOKEN = /^[0-9A-Z]{32}$/;
const REMOTE = "203.0.113.7";
const CREATE_FAILED = "The system failed to create the API token: ";
const UPDATE_FAILED = "The system failed to update the API token: ";
const REVOKE_FAILED = "The system failed to revoke the API token: ";
// Several tests provoke many 401s from one address on purpose; cPHulk is tested elsewhere.
const NO_LOCKOUT: TestAppOptions = { settings: { ip_based_protection: "0" } };

function nameError(name: string): string {
  return `“${name}” is not a valid API token name. An API token name must not be longer than 50 characters and may only contain the following 64 characters: a-z A-Z 0-9 _ -`;
}

function expectOk(result: WhmResult, command: string): any {
  expect(result.status, JSON.stringify(result.body)).toBe(200);
  expect(result.body.metadata).toEqual({ command, reason: "OK", result: 1, version: 1 });
  return result.body.data;
}

function expectFailure(result: WhmResult, command: string, reason: string, data: unknown = {}): void {
  expect(result.status, JSON.stringify(result.body)).toBe(200);
  expect(result.body.metadata).toEqual({ command, reason, result: 0, version: 1 });
  expect(result.body.data).toEqual(data);
}

async function create(params: Record<string, string | string[]>, auth: Auth = ROOT, remoteAddress?: string): Promise<WhmResult> {
  return t.whm("api_token_create", params, auth, remoteAddress);
}

/** Creates a token and returns its plaintext. */
async function createToken(name: string, params: Record<string, string | string[]> = {}, auth: Auth = ROOT): Promise<string> {
  const data = expectOk(await create({ token_name: name, ...params }, auth), "api_token_create");
  expect(data.token).toMatch(TOKEN);
  return data.token as string;
}

async function list(auth: Auth = ROOT): Promise<Record<string, any>> {
  return expectOk(await t.whm("api_token_list", {}, auth), "api_token_list").tokens;
}

/** A string in WHM's token shape that Keyhold would never have issued (its checksum is wrong). */
function foreignWhmShapedToken(seed: string): string {
  for (let i = 0; ; i++) {
    const candidate = createHash("sha256").update(`${seed}:${i}`).digest("hex").toUpperCase().replace(/[^0-9A-Z]/g, "").padEnd(32, "Q").slice(0, 32);
    if (candidate.length === 32 && !mayBeIssuedToken(candidate)) return candidate;
  }
}

function sha512(text: string): string {
  return createHash("sha512").update(text).digest("hex");
}

describe("api_token_create", () => {
  it("answers name, create_time, the 32-character token and expires_at null, and nothing else", async () => {
    t = await createTestApp();
    const data = expectOk(await create({ token_name: "billing" }), "api_token_create");
    expect(data).toEqual({ name: "billing", create_time: nowSeconds(t), expires_at: null, token: expect.stringMatching(TOKEN) });
    expect(Object.keys(data)).not.toContain("acls");
    expect(Object.keys(data)).not.toContain("whitelist_ips");
  });

  it("makes a different token every time, and the token authenticates its owner", async () => {
    t = await createTestApp();
    const first = await createToken("one");
    const second = await createToken("two");
    expect(first).not.toBe(second);
    expect(expectOk(await t.whm("version", {}, whm("root", first)), "version").version).toEqual(expect.any(String));
    expect(await whmStatus(t, "version", whm("root", second))).toBe(200);
  });

  it("never shows the plaintext again: not in the list, not in details", async () => {
    t = await createTestApp();
    const token = await createToken("once");
    const listed = await t.whm("api_token_list");
    expect(listed.response.body).not.toContain(token);
    const details = await t.whm("api_token_get_details", { token });
    expect(details.body.data.name).toBe("once");
    expect(details.response.body).not.toContain(token);
  });

  it("takes ACLs as acl and acl-N, de-duplicated and sorted, and returns them as an array", async () => {
    t = await createTestApp();
    const numbered = expectOk(await create({ token_name: "numbered", "acl-1": "list-accts", "acl-0": "kill-acct", "acl-2": "list-accts", acl: "create-acct" }), "api_token_create");
    expect(numbered.acls).toEqual(["create-acct", "kill-acct", "list-accts"]);
    const repeated = expectOk(await create({ token_name: "repeated", acl: ["suspend-acct", "list-accts"] }), "api_token_create");
    expect(repeated.acls).toEqual(["list-accts", "suspend-acct"]);
  });

  it("treats acl=all, like no acl at all, as full access (no acls key)", async () => {
    t = await createTestApp();
    const data = expectOk(await create({ token_name: "everything", acl: "all" }), "api_token_create");
    expect(data).not.toHaveProperty("acls");
    const tokens = await list();
    expect(tokens.everything.has_full_access).toBe(1);
  });

  it("refuses a missing or empty token_name, with data {}", async () => {
    t = await createTestApp();
    const reason = `${CREATE_FAILED}The parameter “token_name” is required.`;
    expectFailure(await create({}), "api_token_create", reason);
    expectFailure(await create({ token_name: "" }), "api_token_create", reason);
    expect(await list()).toEqual({});
  });

  it("refuses invalid names with WHM's exact string", async () => {
    t = await createTestApp();
    for (const name of ["a".repeat(51), "bad name", "dot.ted", "slash/ed", "ünïcode", "semi;colon"]) {
      expectFailure(await create({ token_name: name }), "api_token_create", `${CREATE_FAILED}${nameError(name)}`);
    }
    expect(await list()).toEqual({});
  });

  it("accepts a 50-character name and every allowed character", async () => {
    t = await createTestApp();
    await createToken("a".repeat(50));
    await createToken("Az09_-");
    expect(Object.keys(await list()).sort()).toEqual(["Az09_-", "a".repeat(50)]);
  });

  it("refuses a duplicate name for the same account, but another account may use it", async () => {
    t = await createTestApp();
    await createReseller("res");
    await createToken("shared");
    expectFailure(await create({ token_name: "shared" }), "api_token_create", `${CREATE_FAILED}A conflicting API token with the name “shared” already exists.`);
    expect(Object.keys(await list())).toEqual(["shared"]);
    await createToken("shared", {}, basic("res"));
  });

  it("refuses unknown ACLs, naming each one", async () => {
    t = await createTestApp();
    expectFailure(await create({ token_name: "x", acl: "no-such-acl" }), "api_token_create", `${CREATE_FAILED}Invalid or unauthorized ACL(s) specified: no-such-acl`);
    expectFailure(
      await create({ token_name: "x", "acl-0": "list-accts", "acl-1": "bogus-one", "acl-2": "bogus-two" }),
      "api_token_create",
      `${CREATE_FAILED}Invalid or unauthorized ACL(s) specified: bogus-one, bogus-two`,
    );
    expect(await list()).toEqual({});
  });

  it("refuses a reseller an ACL it does not hold (and `all`), and allows one it holds", async () => {
    t = await createTestApp();
    await createReseller("res");
    const auth = basic("res");
    expectFailure(await create({ token_name: "x", acl: "list-accts" }, auth), "api_token_create", `${CREATE_FAILED}Invalid or unauthorized ACL(s) specified: list-accts`);
    expectFailure(await create({ token_name: "x", acl: ["manage-api-tokens", "kill-acct"] }, auth), "api_token_create", `${CREATE_FAILED}Invalid or unauthorized ACL(s) specified: kill-acct`);
    expectFailure(await create({ token_name: "x", acl: "all" }, auth), "api_token_create", `${CREATE_FAILED}Invalid or unauthorized ACL(s) specified: all`);
    const data = expectOk(await create({ token_name: "x", acl: "manage-api-tokens" }, auth), "api_token_create");
    expect(data.acls).toEqual(["manage-api-tokens"]);
  });

  it("does not let a token limited to some ACLs mint a token with more", async () => {
    t = await createTestApp();
    const limited = await createToken("limited", { acl: ["list-accts", "manage-api-tokens"] });
    const auth = whm("root", limited);
    expectFailure(await create({ token_name: "wider", acl: "create-acct" }, auth), "api_token_create", `${CREATE_FAILED}Invalid or unauthorized ACL(s) specified: create-acct`);
    // Full access (no acl) would be every privilege root has: more than this token holds.
    const fullAccess = `${CREATE_FAILED}Invalid or unauthorized ACL(s) specified: all (a token without “acl” has every privilege of “root”, more than this caller holds; list the ACLs the token needs)`;
    expectFailure(await create({ token_name: "full" }, auth), "api_token_create", fullAccess);
    expectFailure(await create({ token_name: "full", acl: "all" }, auth), "api_token_create", `${CREATE_FAILED}Invalid or unauthorized ACL(s) specified: all`);
    expectFailure(
      await t.whm("api_token_update", { token_name: "limited", acl: "" }, auth),
      "api_token_update",
      fullAccess.replace(CREATE_FAILED, UPDATE_FAILED),
    );
    const subset = expectOk(await create({ token_name: "narrower", acl: "list-accts" }, auth), "api_token_create");
    expect(subset.acls).toEqual(["list-accts"]);
    expect(Object.keys(await list()).sort()).toEqual(["limited", "narrower"]);
    expect((await list()).limited.has_full_access).toBe(0);
  });

  it("lets a reseller's full-access token, which holds all the reseller holds, create another full-access token", async () => {
    t = await createTestApp();
    await createReseller("res");
    const full = await createToken("full", {}, basic("res"));
    const data = expectOk(await create({ token_name: "another" }, whm("res", full)), "api_token_create");
    expect(data).not.toHaveProperty("acls");
    // A limited one of the same reseller may not.
    const limited = await createToken("limited", { acl: "manage-api-tokens" }, basic("res"));
    expect((await create({ token_name: "wider" }, whm("res", limited))).body.metadata.result).toBe(0);
  });

  it("takes expires_at 0, empty or absent as never", async () => {
    t = await createTestApp();
    expect(expectOk(await create({ token_name: "zero", expires_at: "0" }), "api_token_create").expires_at).toBeNull();
    expect(expectOk(await create({ token_name: "empty", expires_at: "" }), "api_token_create").expires_at).toBeNull();
    expect(expectOk(await create({ token_name: "absent" }), "api_token_create").expires_at).toBeNull();
  });

  it("keeps a future expires_at in epoch seconds", async () => {
    t = await createTestApp();
    const at = nowSeconds(t) + 86_400;
    expect(expectOk(await create({ token_name: "soon", expires_at: String(at) }), "api_token_create").expires_at).toBe(at);
    expect((await list()).soon.expires_at).toBe(at);
  });

  it("refuses an expires_at in the past, or now, with WHM's string", async () => {
    t = await createTestApp();
    const past = String(nowSeconds(t) - 1);
    expectFailure(await create({ token_name: "late", expires_at: past }), "api_token_create", `${CREATE_FAILED}The “${past}” value must be a future date.`);
    const now = String(nowSeconds(t));
    expectFailure(await create({ token_name: "late", expires_at: now }), "api_token_create", `${CREATE_FAILED}The “${now}” value must be a future date.`);
    expectFailure(await create({ token_name: "late", expires_at: "1" }), "api_token_create", `${CREATE_FAILED}The “1” value must be a future date.`);
    expect(await list()).toEqual({});
  });

  it("refuses an expires_at that is not an epoch time", async () => {
    t = await createTestApp();
    const result = await create({ token_name: "late", expires_at: "tomorrow" });
    expect(result.body.metadata.result).toBe(0);
    expect(result.body.metadata.reason).toBe(`${CREATE_FAILED}The “expires_at” value “tomorrow” is not a valid Unix epoch time.`);
    expect(result.body.data).toEqual({});
  });

  it("normalises the whitelist: /32 and /128 dropped, IPv6 expanded, IPv4 first, sorted by value, unique", async () => {
    t = await createTestApp();
    const data = expectOk(
      await create({
        token_name: "ips",
        whitelist_ip: ["2620:0:28a4::/48", "fc00:abcd::f", "192.0.2.8/29", "10.0.0.2/32", "9.0.0.1", "10.0.0.2", "::1/128", "FC00:ABCD::F"],
      }),
      "api_token_create",
    );
    expect(data.whitelist_ips).toEqual([
      "9.0.0.1",
      "10.0.0.2",
      "192.0.2.8/29",
      "0000:0000:0000:0000:0000:0000:0000:0001",
      "2620:0000:28a4:0000:0000:0000:0000:0000/48",
      "fc00:abcd:0000:0000:0000:0000:0000:000f",
    ]);
    expect((await list()).ips.whitelist_ips).toEqual(data.whitelist_ips);
  });

  it("takes whitelist_ip-N, and stores an IPv4-mapped IPv6 entry as the IPv4 address", async () => {
    t = await createTestApp();
    const data = expectOk(
      await create({ token_name: "ips", "whitelist_ip-1": "198.51.100.0/24", "whitelist_ip-0": "2001:db8::/32", whitelist_ip: "::ffff:192.0.2.1" }),
      "api_token_create",
    );
    expect(data.whitelist_ips).toEqual(["192.0.2.1", "198.51.100.0/24", "2001:0db8:0000:0000:0000:0000:0000:0000/32"]);
  });

  it("clears the whitelist with `any`, whatever else is sent", async () => {
    t = await createTestApp();
    const data = expectOk(await create({ token_name: "open", whitelist_ip: ["10.0.0.1", "any"] }), "api_token_create");
    expect(data).not.toHaveProperty("whitelist_ips");
    expect((await list()).open.whitelist_ips).toBeNull();
    expect(await whmStatus(t, "version", whm("root", data.token), REMOTE)).toBe(200);
  });

  it("accepts 100 whitelist entries and refuses 101 with WHM's string", async () => {
    t = await createTestApp();
    const addresses = (n: number) => Array.from({ length: n }, (_, i) => `10.0.${Math.floor(i / 250)}.${(i % 250) + 1}`);
    const hundred = expectOk(await create({ token_name: "hundred", whitelist_ip: addresses(100) }), "api_token_create");
    expect(hundred.whitelist_ips).toHaveLength(100);
    expectFailure(await create({ token_name: "toomany", whitelist_ip: addresses(101) }), "api_token_create", `${CREATE_FAILED}You have entered “101” IP addresses, which is above the limit of 100.`);
    const numbered = Object.fromEntries(addresses(101).map((ip, i) => [`whitelist_ip-${i}`, ip]));
    expectFailure(await create({ token_name: "toomany", ...numbered }), "api_token_create", `${CREATE_FAILED}You have entered “101” IP addresses, which is above the limit of 100.`);
    expect(Object.keys(await list())).toEqual(["hundred"]);
  });

  it("refuses an invalid address or range, naming it", async () => {
    t = await createTestApp();
    for (const bad of ["300.1.1.1", "10.0.0.1/33", "10.0.0.1/8", "example.com", "2001:db8::/129", "1.2.3", "2001:db8:::1"]) {
      expectFailure(await create({ token_name: "bad", whitelist_ip: ["10.0.0.1", bad] }), "api_token_create", `${CREATE_FAILED}Invalid IP address or CIDR range specified: ${bad}`);
    }
    expect(await list()).toEqual({});
  });

  it("is refused over plain HTTP from a remote address, and creates nothing", async () => {
    t = await createTestApp();
    const result = await create({ token_name: "remote" }, ROOT, REMOTE);
    expect(result.status).toBe(200);
    expect(result.body.metadata.result).toBe(0);
    expect(result.body.metadata.reason).toMatch(/^The system failed to create the API token: .*HTTPS/);
    expect(result.body.data).toEqual({});
    expect(result.response.body).not.toMatch(/[0-9A-Z]{32}/);
    expect(await list()).toEqual({});
    // Functions that return no secret are fine from there.
    expectOk(await t.whm("api_token_list", {}, ROOT, REMOTE), "api_token_list");
  });

  it("is allowed from IPv6 loopback, and from a remote address when the operator opts in with insecureHttp", async () => {
    t = await createTestApp();
    expectOk(await create({ token_name: "v6loop" }, ROOT, "::1"), "api_token_create");
    await t.close();
    t = await createTestApp({ http: { insecureHttp: true } });
    const data = expectOk(await create({ token_name: "remote" }, ROOT, REMOTE), "api_token_create");
    expect(data.token).toMatch(TOKEN);
  });

  it("refuses a token for a suspended account, or an unknown one", async () => {
    t = await createTestApp();
    await createReseller("res");
    const token = await createToken("before", {}, basic("res"));
    expect((await t.whm("suspendacct", { user: "res" })).body.metadata).toMatchObject({ result: 1, reason: "res account suspended" });
    await expect(t.keyhold.tokens.create(CLI_ACTOR, "res", { name: "after" })).rejects.toThrow(/suspended account “res”/);
    await expect(t.keyhold.tokens.create(CLI_ACTOR, "nobody", { name: "after" })).rejects.toThrow("The account “nobody” does not exist.");
    // The suspended account cannot get in with its password or its existing token either.
    expect(await whmStatus(t, "api_token_create", basic("res"), "127.0.0.1", { token_name: "after" })).toBe(401);
    expect(await whmStatus(t, "version", whm("res", token))).toBe(401);
    expect((await t.keyhold.tokens.list(CLI_ACTOR, "res")).map((view) => view.name)).toEqual(["before"]);
    await t.whm("unsuspendacct", { user: "res" });
    expect(await whmStatus(t, "version", whm("res", token))).toBe(200);
  });
});

describe("api_token_list", () => {
  it("answers an empty object when there are no tokens", async () => {
    t = await createTestApp();
    expect(await list()).toEqual({});
  });

  it("keys tokens by name with WHM's fields; a full-access root token has every ACL", async () => {
    t = await createTestApp();
    await createToken("full");
    t.clock.advance(5_000);
    const expires = nowSeconds(t) + 3_600;
    await createToken("limited", { acl: ["list-accts", "create-acct"], whitelist_ip: "10.0.0.0/8", expires_at: String(expires) });
    const tokens = await list();
    expect(Object.keys(tokens).sort()).toEqual(["full", "limited"]);
    expect(tokens.full).toMatchObject({ name: "full", create_time: nowSeconds(t) - 5, expires_at: null, whitelist_ips: null, last_used_at: null, last_used_ip: null });
    expect(Object.keys(tokens.full.acls).sort()).toEqual([...KNOWN_ACLS].sort());
    expect(Object.values(tokens.full.acls).every((flag) => flag === 1)).toBe(true);
    expect(tokens.limited).toMatchObject({ name: "limited", create_time: nowSeconds(t), expires_at: expires, whitelist_ips: ["10.0.0.0/8"] });
    // Effective privileges as a map: a root-level owner's limited token has exactly its list.
    expect(Object.keys(tokens.limited.acls).sort()).toEqual([...KNOWN_ACLS].sort());
    const held = Object.entries(tokens.limited.acls).filter(([, flag]) => flag === 1).map(([name]) => name);
    expect(held.sort()).toEqual(["create-acct", "list-accts"]);
    expect(tokens.limited.acls["kill-acct"]).toBe(0);
    expect(tokens.limited.acls.all).toBe(0);
  });

  it("leaves out, for a reseller, the ACLs the reseller lacks", async () => {
    t = await createTestApp();
    await createReseller("res", { acls: ["list-accts", "manage-api-tokens", "create-acct"] });
    await createToken("full", {}, basic("res"));
    await createToken("listing", { acl: "list-accts" }, basic("res"));
    const tokens = await list(basic("res"));
    expect(tokens.full.acls).toEqual({ "create-acct": 1, "list-accts": 1, "manage-api-tokens": 1 });
    expect(tokens.listing.acls).toEqual({ "create-acct": 0, "list-accts": 1, "manage-api-tokens": 0 });
  });

  it("shows a reseller's default privileges for a full-access token of a new reseller", async () => {
    t = await createTestApp();
    await createReseller("res");
    await createToken("full", {}, basic("res"));
    const { acls } = (await list(basic("res"))).full;
    expect(Object.keys(acls).sort()).toEqual([...DEFAULT_RESELLER_ACLS].sort());
    expect(acls).not.toHaveProperty("list-accts");
  });

  it("lists only the caller's own tokens", async () => {
    t = await createTestApp();
    await createReseller("res");
    await createToken("roots");
    await createToken("resellers", {}, basic("res"));
    expect(Object.keys(await list())).toEqual(["roots"]);
    expect(Object.keys(await list(basic("res")))).toEqual(["resellers"]);
  });

  it("still lists an expired token", async () => {
    t = await createTestApp();
    const expires = nowSeconds(t) + 60;
    await createToken("short", { expires_at: String(expires) });
    t.clock.advance(3_600_000);
    const tokens = await list();
    expect(tokens.short).toMatchObject({ name: "short", expires_at: expires });
  });

  it("shows last_used_at and last_used_ip after a use", async () => {
    t = await createTestApp();
    const token = await createToken("used");
    expect((await list()).used).toMatchObject({ last_used_at: null, last_used_ip: null });
    t.clock.advance(60_000);
    const usedAt = nowSeconds(t);
    expect(await whmStatus(t, "version", whm("root", token), REMOTE)).toBe(200);
    t.clock.advance(60_000);
    expect((await list()).used).toMatchObject({ last_used_at: usedAt, last_used_ip: REMOTE });
    // A newer use replaces the older one, also after the batch was written to the store.
    await t.keyhold.usage.flush();
    expect(await whmStatus(t, "version", whm("root", token), "2001:db8::9")).toBe(200);
    expect((await list()).used).toMatchObject({ last_used_at: nowSeconds(t), last_used_ip: "2001:db8::9" });
    await t.keyhold.usage.flush();
    expect((await list()).used).toMatchObject({ last_used_at: nowSeconds(t), last_used_ip: "2001:db8::9" });
  });
});

describe("api_token_get_details", () => {
  it("answers the stored record for the plaintext, acls as an array", async () => {
    t = await createTestApp();
    const expires = nowSeconds(t) + 600;
    const token = await createToken("detailed", { acl: ["list-accts", "kill-acct", "create-acct"], whitelist_ip: ["10.0.0.0/8", "fc00::1"], expires_at: String(expires) });
    const data = expectOk(await t.whm("api_token_get_details", { token }), "api_token_get_details");
    expect(data).toEqual({
      name: "detailed",
      create_time: nowSeconds(t),
      expires_at: expires,
      acls: ["create-acct", "kill-acct", "list-accts"],
      whitelist_ips: ["10.0.0.0/8", "fc00:0000:0000:0000:0000:0000:0000:0001"],
      last_used_at: null,
      last_used_ip: null,
    });
  });

  it("answers data null with result 1 for an unknown token", async () => {
    t = await createTestApp();
    await createToken("known");
    for (const token of ["0123456789ABCDEFGHIJKLMNOPQRSTUV", "not a token at all"]) {
      const result = await t.whm("api_token_get_details", { token });
      expect(result.body.metadata).toEqual({ command: "api_token_get_details", reason: "OK", result: 1, version: 1 });
      expect(result.body.data).toBeNull();
    }
  });

  it("answers data null for an expired token", async () => {
    t = await createTestApp();
    const token = await createToken("short", { expires_at: String(nowSeconds(t) + 60) });
    expect(expectOk(await t.whm("api_token_get_details", { token }), "api_token_get_details").name).toBe("short");
    t.clock.advance(61_000);
    const result = await t.whm("api_token_get_details", { token });
    expect(result.body.metadata.result).toBe(1);
    expect(result.body.data).toBeNull();
  });

  it("does not check the token's whitelist against the caller", async () => {
    t = await createTestApp();
    const token = await createToken("fenced", { whitelist_ip: "10.0.0.0/8" });
    expect(await whmStatus(t, "version", whm("root", token), REMOTE)).toBe(401);
    const data = expectOk(await t.whm("api_token_get_details", { token }, ROOT, REMOTE), "api_token_get_details");
    expect(data.name).toBe("fenced");
  });

  it("finds only the caller's own tokens", async () => {
    t = await createTestApp();
    await createReseller("res");
    const token = await createToken("resellers", {}, basic("res"));
    expect((await t.whm("api_token_get_details", { token })).body.data).toBeNull();
    expect(expectOk(await t.whm("api_token_get_details", { token }, basic("res")), "api_token_get_details").name).toBe("resellers");
  });

  it("requires the token parameter", async () => {
    t = await createTestApp();
    const result = await t.whm("api_token_get_details", {});
    expect(result.body.metadata).toEqual({ command: "api_token_get_details", reason: "The parameter “token” is required.", result: 0, version: 1 });
  });
});

describe("api_token_update", () => {
  it("renames with new_name; the token keeps working under its new name", async () => {
    t = await createTestApp();
    const token = await createToken("old");
    const data = expectOk(await t.whm("api_token_update", { token_name: "old", new_name: "new" }), "api_token_update");
    expect(data).toEqual({ name: "new", create_time: nowSeconds(t), expires_at: null });
    expect(Object.keys(await list())).toEqual(["new"]);
    expect(await whmStatus(t, "version", whm("root", token))).toBe(200);
  });

  it("refuses a rename onto an existing name, an invalid new name, and an unknown token", async () => {
    t = await createTestApp();
    await createToken("a");
    await createToken("b");
    expectFailure(await t.whm("api_token_update", { token_name: "a", new_name: "b" }), "api_token_update", `${UPDATE_FAILED}An API token with the name “b” already exists.`);
    expectFailure(await t.whm("api_token_update", { token_name: "a", new_name: "bad name" }), "api_token_update", `${UPDATE_FAILED}${nameError("bad name")}`);
    expectFailure(await t.whm("api_token_update", { token_name: "ghost", new_name: "c" }), "api_token_update", `${UPDATE_FAILED}The API token “ghost” does not exist.`);
    expect(Object.keys(await list()).sort()).toEqual(["a", "b"]);
  });

  it("refuses an update with nothing to change", async () => {
    t = await createTestApp();
    await createToken("a");
    expectFailure(await t.whm("api_token_update", { token_name: "a" }), "api_token_update", `${UPDATE_FAILED}Specify a new name, updated ACLs, or IPs.`);
    expectFailure(await t.whm("api_token_update", {}), "api_token_update", `${UPDATE_FAILED}The parameter “token_name” is required.`);
  });

  it("replaces the ACL list with acl; leaving acl out keeps it; acl=all makes it full access", async () => {
    t = await createTestApp();
    await createToken("a", { acl: ["list-accts", "kill-acct"] });
    const replaced = expectOk(await t.whm("api_token_update", { token_name: "a", "acl-0": "suspend-acct", "acl-1": "create-acct" }), "api_token_update");
    expect(replaced.acls).toEqual(["create-acct", "suspend-acct"]);
    const kept = expectOk(await t.whm("api_token_update", { token_name: "a", whitelist_ip: "10.0.0.1" }), "api_token_update");
    expect(kept.acls).toEqual(["create-acct", "suspend-acct"]);
    expect(kept.whitelist_ips).toEqual(["10.0.0.1"]);
    const full = expectOk(await t.whm("api_token_update", { token_name: "a", acl: "all" }), "api_token_update");
    expect(full).not.toHaveProperty("acls");
    expect((await list()).a.has_full_access).toBe(1);
  });

  it("refuses ACLs the caller does not hold, and changes nothing", async () => {
    t = await createTestApp();
    await createReseller("res");
    await createToken("a", { acl: "manage-api-tokens" }, basic("res"));
    expectFailure(await t.whm("api_token_update", { token_name: "a", acl: "list-accts" }, basic("res")), "api_token_update", `${UPDATE_FAILED}Invalid or unauthorized ACL(s) specified: list-accts`);
    expectFailure(await t.whm("api_token_update", { token_name: "a", acl: "nonsense" }, basic("res")), "api_token_update", `${UPDATE_FAILED}Invalid or unauthorized ACL(s) specified: nonsense`);
    const details = await t.keyhold.tokens.get(CLI_ACTOR, "res", "a");
    expect(details.acls).toEqual(["manage-api-tokens"]);
  });

  it("replaces the whitelist, normalised, and clears it with any", async () => {
    t = await createTestApp();
    await createToken("a", { whitelist_ip: ["10.0.0.1", "10.0.0.2"] });
    const replaced = expectOk(await t.whm("api_token_update", { token_name: "a", "whitelist_ip-0": "2001:db8::1", "whitelist_ip-1": "192.0.2.0/24" }), "api_token_update");
    expect(replaced.whitelist_ips).toEqual(["192.0.2.0/24", "2001:0db8:0000:0000:0000:0000:0000:0001"]);
    const cleared = expectOk(await t.whm("api_token_update", { token_name: "a", whitelist_ip: "any" }), "api_token_update");
    expect(cleared).not.toHaveProperty("whitelist_ips");
    expect((await list()).a.whitelist_ips).toBeNull();
    expectFailure(await t.whm("api_token_update", { token_name: "a", whitelist_ip: "10.0.0.256" }), "api_token_update", `${UPDATE_FAILED}Invalid IP address or CIDR range specified: 10.0.0.256`);
  });

  it("sets expires_at, clears it with 0, and refuses a past time", async () => {
    t = await createTestApp();
    await createToken("a");
    const at = nowSeconds(t) + 7_200;
    expect(expectOk(await t.whm("api_token_update", { token_name: "a", expires_at: String(at) }), "api_token_update").expires_at).toBe(at);
    expect((await list()).a.expires_at).toBe(at);
    const past = String(nowSeconds(t) - 10);
    expectFailure(await t.whm("api_token_update", { token_name: "a", expires_at: past }), "api_token_update", `${UPDATE_FAILED}The “${past}” value must be a future date.`);
    expect((await list()).a.expires_at).toBe(at);
    expect(expectOk(await t.whm("api_token_update", { token_name: "a", expires_at: "0" }), "api_token_update").expires_at).toBeNull();
    expect((await list()).a.expires_at).toBeNull();
  });

  it("changes only the caller's own tokens", async () => {
    t = await createTestApp();
    await createReseller("res");
    await createToken("mine", {}, basic("res"));
    expectFailure(await t.whm("api_token_update", { token_name: "mine", new_name: "stolen" }), "api_token_update", `${UPDATE_FAILED}The API token “mine” does not exist.`);
    expect(Object.keys(await list(basic("res")))).toEqual(["mine"]);
  });
});

describe("api_token_revoke", () => {
  it("revokes by token_name and answers {}", async () => {
    t = await createTestApp();
    await createToken("a");
    await createToken("b");
    expect(expectOk(await t.whm("api_token_revoke", { token_name: "a" }), "api_token_revoke")).toEqual({});
    expect(Object.keys(await list())).toEqual(["b"]);
  });

  it("revokes several with token_name-N", async () => {
    t = await createTestApp();
    for (const name of ["a", "b", "c", "d"]) await createToken(name);
    expectOk(await t.whm("api_token_revoke", { "token_name-0": "a", "token_name-1": "c", token_name: "d" }), "api_token_revoke");
    expect(Object.keys(await list())).toEqual(["b"]);
  });

  it("treats an unknown name as a silent success", async () => {
    t = await createTestApp();
    await createToken("a");
    expect(expectOk(await t.whm("api_token_revoke", { token_name: "ghost" }), "api_token_revoke")).toEqual({});
    expect(expectOk(await t.whm("api_token_revoke", { "token_name-0": "ghost", "token_name-1": "a" }), "api_token_revoke")).toEqual({});
    expect(await list()).toEqual({});
  });

  it("refuses a call without any token_name", async () => {
    t = await createTestApp();
    await createToken("a");
    expectFailure(await t.whm("api_token_revoke", {}), "api_token_revoke", `${REVOKE_FAILED}Provide at least one “token_name” argument.`);
    expectFailure(await t.whm("api_token_revoke", { token_name: "" }), "api_token_revoke", `${REVOKE_FAILED}Provide at least one “token_name” argument.`);
    expect(Object.keys(await list())).toEqual(["a"]);
  });

  it("revokes only the caller's own tokens", async () => {
    t = await createTestApp();
    await createReseller("res");
    const token = await createToken("same", {}, basic("res"));
    await createToken("same");
    expectOk(await t.whm("api_token_revoke", { token_name: "same" }), "api_token_revoke");
    expect(await list()).toEqual({});
    expect(Object.keys(await list(basic("res")))).toEqual(["same"]);
    expect(await whmStatus(t, "version", whm("res", token))).toBe(200);
  });
});

describe("Authorization: whm user:TOKEN", () => {
  it("works for any WHM function a full-access token's owner may call", async () => {
    t = await createTestApp();
    const token = await createToken("full");
    const auth = whm("root", token);
    const created = await t.whm("createacct", { username: "alice", password: passwordOf("alice"), domain: "alice.example.com" }, auth);
    expect(created.body.metadata).toMatchObject({ result: 1, reason: "Account Creation Ok" });
    const accounts = expectOk(await t.whm("listaccts", {}, auth), "listaccts");
    expect(accounts.acct.map((account: { user: string }) => account.user)).toContain("alice");
    expect(expectOk(await t.whm("myprivs", {}, auth), "myprivs").privileges[0].all).toBe(1);
  });

  it("takes the scheme in any case and refuses the token for another user name", async () => {
    t = await createTestApp();
    await createReseller("res");
    const token = await createToken("full");
    expect(await whmStatus(t, "version", { header: `WHM root:${token}` })).toBe(200);
    expect(await whmStatus(t, "version", { header: `Whm root:${token}` })).toBe(200);
    expect(await whmStatus(t, "version", whm("res", token))).toBe(401);
    expect(await whmStatus(t, "version", whm("nobody", token))).toBe(401);
  });

  it("limits a token to its ACLs: acl=list-accts may call listaccts but not createacct", async () => {
    t = await createTestApp();
    const token = await createToken("lister", { acl: "list-accts" });
    const auth = whm("root", token);
    expectOk(await t.whm("listaccts", {}, auth), "listaccts");
    const refused = await t.whm("createacct", { username: "alice", password: passwordOf("alice"), domain: "alice.example.com" }, auth);
    expect(refused.status).toBe(200);
    expect(refused.body.metadata.result).toBe(0);
    expect(refused.body.metadata.reason).toMatch(/Permission denied.*“create-acct”/);
    // Nothing was created: root's own password sees no such account.
    expect(expectOk(await t.whm("listaccts"), "listaccts").acct.map((a: { user: string }) => a.user)).not.toContain("alice");
    const root = await t.whm("setacls", { reseller: "nobody", "acl-all": "1" }, auth);
    expect(root.body.metadata.result).toBe(0);
    expect(root.body.metadata.reason).toMatch(/Permission denied/);
    const privileges = expectOk(await t.whm("myprivs", {}, auth), "myprivs").privileges[0];
    expect(Object.entries(privileges).filter(([, flag]) => flag === 1).map(([name]) => name)).toEqual(["list-accts"]);
  });

  it("gives a full-access reseller token the reseller's current ACLs, and a limited one the intersection", async () => {
    t = await createTestApp(NO_LOCKOUT);
    await createReseller("res", { acls: ["list-accts", "create-acct", "manage-api-tokens"] });
    const full = await createToken("full", {}, basic("res"));
    const limited = await createToken("limited", { acl: ["list-accts", "create-acct"] }, basic("res"));
    const listaccts = async (token: string) => (await t.whm("listaccts", {}, whm("res", token))).body.metadata.result;
    expect(await listaccts(full)).toBe(1);
    expect(await listaccts(limited)).toBe(1);

    await setAcls("res", ["create-acct", "manage-api-tokens"]);
    expect(await listaccts(full)).toBe(0);
    expect(await listaccts(limited)).toBe(0);
    const reason = (await t.whm("listaccts", {}, whm("res", full))).body.metadata.reason;
    expect(reason).toMatch(/Permission denied.*“list-accts”/);
    expect((await list(basic("res"))).limited.acls).toEqual({ "create-acct": 1, "manage-api-tokens": 0 });

    // Given back, the privilege is back for both, with no change to the tokens.
    await setAcls("res", ["list-accts", "create-acct", "manage-api-tokens"]);
    expect(await listaccts(full)).toBe(1);
    expect(await listaccts(limited)).toBe(1);
  });

  it("gives a limited token of a root-level owner exactly its list", async () => {
    t = await createTestApp();
    await createReseller("boss", { acls: ["all"] });
    const token = await createToken("lister", { acl: "list-accts" }, basic("boss"));
    const privileges = expectOk(await t.whm("myprivs", {}, whm("boss", token)), "myprivs").privileges[0];
    expect(privileges.all).toBe(0);
    expect(privileges["list-accts"]).toBe(1);
    expect(privileges["create-acct"]).toBe(0);
    expect((await t.whm("listaccts", {}, whm("boss", token))).body.metadata.result).toBe(1);
    expect((await t.whm("createacct", { username: "bob", password: passwordOf("bob"), domain: "bob.example.com" }, whm("boss", token))).body.metadata.result).toBe(0);
    // A full-access token of the same owner is root-level.
    const full = await createToken("full", {}, basic("boss"));
    expect(expectOk(await t.whm("myprivs", {}, whm("boss", full)), "myprivs").privileges[0].all).toBe(1);
  });

  it("refuses an expired token with 401, and accepts it until then", async () => {
    t = await createTestApp();
    const token = await createToken("short", { expires_at: String(nowSeconds(t) + 3_600) });
    expect(await whmStatus(t, "version", whm("root", token))).toBe(200);
    t.clock.advance(3_599_000);
    expect(await whmStatus(t, "version", whm("root", token))).toBe(200);
    t.clock.advance(2_000);
    const refused = await t.whm("version", {}, whm("root", token));
    expect(refused.status).toBe(401);
    expect(refused.body.metadata.result).toBe(0);
    expect(refused.response.body).not.toContain(token);
  });

  it("refuses a revoked token with 401 on the very next request", async () => {
    t = await createTestApp();
    const token = await createToken("gone");
    expect(await whmStatus(t, "listaccts", whm("root", token))).toBe(200);
    expectOk(await t.whm("api_token_revoke", { token_name: "gone" }), "api_token_revoke");
    expect(await whmStatus(t, "listaccts", whm("root", token))).toBe(401);
  });

  it("lets a token revoke itself, and refuses it right after", async () => {
    t = await createTestApp();
    const token = await createToken("self");
    expectOk(await t.whm("api_token_revoke", { token_name: "self" }, whm("root", token)), "api_token_revoke");
    expect(await whmStatus(t, "version", whm("root", token))).toBe(401);
  });

  it("applies an ACL update on the next request", async () => {
    t = await createTestApp();
    const token = await createToken("changing", { acl: "list-accts" });
    expect((await t.whm("listaccts", {}, whm("root", token))).body.metadata.result).toBe(1);
    expectOk(await t.whm("api_token_update", { token_name: "changing", acl: "create-acct" }), "api_token_update");
    expect((await t.whm("listaccts", {}, whm("root", token))).body.metadata.result).toBe(0);
  });

  it("applies a whitelist update on the next request", async () => {
    t = await createTestApp(NO_LOCKOUT);
    const token = await createToken("moving");
    const auth = whm("root", token);
    expect(await whmStatus(t, "version", auth, REMOTE)).toBe(200);
    expectOk(await t.whm("api_token_update", { token_name: "moving", whitelist_ip: "10.0.0.0/8" }), "api_token_update");
    expect(await whmStatus(t, "version", auth, REMOTE)).toBe(401);
    expect(await whmStatus(t, "version", auth, "10.1.2.3")).toBe(200);
    expectOk(await t.whm("api_token_update", { token_name: "moving", whitelist_ip: "any" }), "api_token_update");
    expect(await whmStatus(t, "version", auth, REMOTE)).toBe(200);
  });

  it("enforces an IPv4 address and an IPv4 CIDR whitelist, IPv4-mapped IPv6 clients included", async () => {
    t = await createTestApp(NO_LOCKOUT);
    const token = await createToken("v4", { whitelist_ip: ["192.0.2.10", "10.0.0.0/8"] });
    const auth = whm("root", token);
    for (const ip of ["192.0.2.10", "10.0.0.0", "10.1.2.3", "10.255.255.255", "::ffff:10.1.2.3", "::ffff:192.0.2.10"]) {
      expect(await whmStatus(t, "version", auth, ip), ip).toBe(200);
    }
    for (const ip of ["192.0.2.11", "11.0.0.1", "9.255.255.255", "::ffff:11.1.2.3", "::ffff:192.0.2.11", "::a01:203", "2001:db8::1"]) {
      expect(await whmStatus(t, "version", auth, ip), ip).toBe(401);
    }
  });

  it("enforces an IPv6 address and an IPv6 CIDR whitelist, whatever form the client address takes", async () => {
    t = await createTestApp(NO_LOCKOUT);
    const token = await createToken("v6", { whitelist_ip: ["2001:db8::5", "2620:0:28a4::/48"] });
    const auth = whm("root", token);
    for (const ip of ["2001:db8::5", "2001:0db8:0000:0000:0000:0000:0000:0005", "2620:0:28a4::1", "2620:0:28a4:ffff:ffff:ffff:ffff:ffff"]) {
      expect(await whmStatus(t, "version", auth, ip), ip).toBe(200);
    }
    for (const ip of ["2001:db8::6", "2620:0:28a5::1", "192.0.2.5", "127.0.0.1"]) {
      expect(await whmStatus(t, "version", auth, ip), ip).toBe(401);
    }
  });

  it("refuses a WHM-shaped token with a wrong checksum, even one whose digest is stored", async () => {
    t = await createTestApp(NO_LOCKOUT);
    const token = await createToken("real");
    const last = token.at(-1)!;
    const mistyped = token.slice(0, -1) + (last === "A" ? "B" : "A");
    expect(await whmStatus(t, "version", whm("root", mistyped))).toBe(401);
    expect(await whmStatus(t, "version", whm("root", token.toLowerCase()))).toBe(401);

    // Keyhold never issued this string, so only an imported token may have it.
    const foreign = foreignWhmShapedToken("converted");
    const root = await t.keyhold.accounts.require("root");
    await t.keyhold.tokens.importDigest(CLI_ACTOR, root, { name: "foreign", digest: sha512(foreign), createdAt: t.clock.now(), acls: null, whitelistIps: null, expiresAt: null }, "converted");
    expect(await whmStatus(t, "version", whm("root", foreign))).toBe(401);
    expect(await whmStatus(t, "version", whm("root", token))).toBe(200);
  });

  it("authenticates a token imported by digest from cPanel, with its ACLs, whitelist and expiry", async () => {
    t = await createTestApp(NO_LOCKOUT);
    const root = await t.keyhold.accounts.require("root");
    const plain = foreignWhmShapedToken("imported");
    const createdAt = t.clock.now() - 86_400_000;
    const imported = await t.keyhold.tokens.importDigest(CLI_ACTOR, root, { name: "from_cpanel", digest: sha512(plain), createdAt, acls: null, whitelistIps: null, expiresAt: null }, "imported");
    expect(imported.status).toBe("imported");
    expect(await whmStatus(t, "listaccts", whm("root", plain))).toBe(200);
    expect((await list()).from_cpanel).toMatchObject({ name: "from_cpanel", create_time: Math.floor(createdAt / 1000), last_used_ip: "127.0.0.1" });
    // Any other string of that shape is still just unknown.
    expect(await whmStatus(t, "version", whm("root", foreignWhmShapedToken("other")))).toBe(401);

    const limited = foreignWhmShapedToken("limited");
    await t.keyhold.tokens.importDigest(
      CLI_ACTOR,
      root,
      { name: "fenced", digest: sha512(limited), createdAt, acls: ["list-accts"], whitelistIps: ["10.0.0.0/8"], expiresAt: t.clock.now() + 60_000 },
      "imported",
    );
    expect(await whmStatus(t, "version", whm("root", limited))).toBe(401);
    expect((await t.whm("listaccts", {}, whm("root", limited), "10.9.9.9")).body.metadata.result).toBe(1);
    expect((await t.whm("createacct", { username: "x", password: passwordOf("x"), domain: "x.example.com" }, whm("root", limited), "10.9.9.9")).body.metadata.result).toBe(0);
    t.clock.advance(60_000);
    expect(await whmStatus(t, "version", whm("root", limited), "10.9.9.9")).toBe(401);
  });

  it("authenticates a converted 960-hex access hash with allow_deprecated_accesshash=0", async () => {
    t = await createTestApp();
    expect(t.keyhold.settings.get().allow_deprecated_accesshash).toBe(0);
    const view = await t.keyhold.accessHashes.generate(CLI_ACTOR, "root");
    expect(view.accesshash).toMatch(/^[0-9a-f]{960}$/);
    expect(await whmStatus(t, "version", whm("root", view.accesshash))).toBe(401);
    const root = await t.keyhold.accounts.require("root");
    const converted = await t.keyhold.tokens.convertAccessHash(CLI_ACTOR, root, view.accesshash);
    expect(converted.status).toBe("imported");
    expect(await whmStatus(t, "version", whm("root", view.accesshash))).toBe(200);
    expect(expectOk(await t.whm("listaccts", {}, whm("root", view.accesshash)), "listaccts").acct).toEqual(expect.any(Array));
  });
});

describe("a limited token cannot get around its own limits", () => {
  it("cannot change its account's password without passwd, which a password login may", async () => {
    t = await createTestApp();
    const limited = await createToken("limited", { acl: "list-accts", whitelist_ip: "127.0.0.1" });
    const changed = await t.whm("passwd", { user: "root", password: "taken-over-1" }, whm("root", limited));
    expect(changed.body.metadata.result).toBe(0);
    expect(changed.body.metadata.reason).toContain("“passwd”");
    expect(await statusOfBasic("root", "taken-over-1")).toBe(401);

    await createReseller("res");
    expect((await t.whm("passwd", { user: "res", password: "res-changed-1" }, basic("res"))).body.metadata.result).toBe(1);
    const allowed = await createToken("allowed", { acl: "passwd" });
    expect((await t.whm("passwd", { user: "root", password: "changed-by-token-1" }, whm("root", allowed))).body.metadata.result).toBe(1);
    expect(await statusOfBasic("root", "changed-by-token-1")).toBe(200);
  });

  it("cannot lift its own whitelist or expiry, or mint a sibling, without manage-api-tokens", async () => {
    t = await createTestApp();
    const expiresAt = String(nowSeconds(t) + 3_600);
    const limited = await createToken("limited", { acl: "list-accts", whitelist_ip: "127.0.0.1", expires_at: expiresAt });
    const auth = whm("root", limited);
    const lifted = await t.whm("api_token_update", { token_name: "limited", whitelist_ip: "any", expires_at: "0" }, auth);
    expect(lifted.body.metadata.result).toBe(0);
    expect(lifted.body.metadata.reason).toContain("“manage-api-tokens”");
    expect((await create({ token_name: "sibling", acl: "list-accts" }, auth)).body.metadata.result).toBe(0);
    expect((await t.whm("api_token_revoke", { token_name: "limited" }, auth)).body.metadata.result).toBe(0);
    const listed = await t.whm("api_token_list", {}, auth);
    expect(listed.body.metadata.result).toBe(0);
    const kept = (await list()).limited;
    expect(kept.whitelist_ips).toEqual(["127.0.0.1"]);
    expect(kept.expires_at).toBe(Number(expiresAt));
  });

  it("cannot read or make a credential with every privilege of its account", async () => {
    t = await createTestApp({ settings: { allow_deprecated_accesshash: "1" } });
    expectOk(await t.whm("accesshash", { generate: "1" }), "accesshash");
    const limited = await createToken("limited", { acl: ["manage-api-tokens", "list-accts"] });
    for (const params of [{}, { generate: "1" }] as Record<string, string>[]) {
      const result = await t.whm("accesshash", params, whm("root", limited));
      expect(result.body.metadata.result, JSON.stringify(params)).toBe(0);
      expect(JSON.stringify(result.body)).not.toMatch(/[0-9a-f]{960}/);
    }
    const ipHash = await t.app.inject({
      method: "POST",
      url: "/api/v1/access_hashes",
      headers: { authorization: `whm root:${limited}`, "content-type": "application/json" },
      payload: JSON.stringify({ name: "escape", ip: "198.51.100.7" }),
    });
    expect(ipHash.statusCode).toBe(403);
    expect(ipHash.json().msg).toBe("");
    // Nor point an existing one at another address: a rename is all it may do.
    const rootAuth = { authorization: basicHeader("root", ROOT_PASSWORD), "content-type": "application/json" };
    const existing = await t.app.inject({ method: "POST", url: "/api/v1/access_hashes", headers: rootAuth, payload: JSON.stringify({ name: "bound", ip: "192.0.2.1" }) });
    const url = `/api/v1/access_hashes/${existing.json().msg.id}`;
    const limitedAuth = { authorization: `whm root:${limited}`, "content-type": "application/json" };
    for (const change of [{ ip: "198.51.100.7" }, { expires_at: 0 }]) {
      expect((await t.app.inject({ method: "PUT", url, headers: limitedAuth, payload: JSON.stringify(change) })).statusCode, JSON.stringify(change)).toBe(403);
    }
    expect((await t.app.inject({ method: "PUT", url, headers: limitedAuth, payload: JSON.stringify({ name: "renamed" }) })).statusCode).toBe(200);
    expect((await t.app.inject({ method: "GET", url, headers: rootAuth })).json().msg).toMatchObject({ name: "renamed", ip: "192.0.2.1" });

    // A full-access token holds all of root's privileges, and may.
    const full = await createToken("full");
    expect((await t.whm("accesshash", {}, whm("root", full))).body.metadata.result).toBe(1);
  });
});

function statusOfBasic(username: string, password: string): Promise<number> {
  return whmStatus(t, "version", basic(username, password));
}
