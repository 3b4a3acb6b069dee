import { afterEach, describe, expect, it } from "vitest";
import { DEFAULT_RESELLER_ACLS, KNOWN_ACLS } from "../src/core/acl.js";
import { ROOT, accountCount, accountFixtures, authorization, basic, basicHeader, createTestApp, form, passwordOf, type Auth, type TestApp, type WhmResult } from "./harness.js";

// WHM API 1 account functions (issue 2; reference §8 for what cPanel::PublicAPI expects).

let t: TestApp;
afterEach(async () => t?.close());
// Every WHM answer checked in full, as this suite checks the functions it tests.
const { createReseller } = accountFixtures(() => t, { expectOk });

const UNKNOWN_APP = /Unknown app\s+(?:\(.+\))?\s+requested/;

function expectOk(result: WhmResult, command: string): void {
  expect(result.status, JSON.stringify(result.body)).toBe(200);
  expect(result.body.metadata.result, result.body.metadata.reason).toBe(1);
  expect(result.body.metadata.command).toBe(command);
  expect(result.body.metadata.version).toBe(1);
}

/** A WHM failure of the function itself: HTTP 200, result 0, a reason a person can read. */
function expectRefused(result: WhmResult, command: string, reason?: string | RegExp): void {
  expect(result.status, JSON.stringify(result.body)).toBe(200);
  expect(result.body.metadata.result).toBe(0);
  expect(result.body.metadata.command).toBe(command);
  expect(typeof result.body.metadata.reason).toBe("string");
  expect(result.body.metadata.reason.length).toBeGreaterThan(5);
  if (typeof reason === "string") expect(result.body.metadata.reason).toBe(reason);
  else if (reason !== undefined) expect(result.body.metadata.reason).toMatch(reason);
}

async function createAccount(username: string, extra: Record<string, string> = {}, auth: Auth = ROOT): Promise<WhmResult> {
  return t.whm("createacct", { username, password: passwordOf(username), domain: `${username}.example.com`, ...extra }, auth);
}

async function usernames(auth: Auth = ROOT, params: Record<string, string> = {}): Promise<string[]> {
  const result = await t.whm("listaccts", params, auth);
  expectOk(result, "listaccts");
  return (result.body.data.acct as Array<{ user: string }>).map((account) => account.user).sort();
}

describe("createacct", () => {
  it("creates an account with WHM's reason and returns its summary", async () => {
    t = await createTestApp();
    const result = await createAccount("alice");
    expectOk(result, "createacct");
    expect(result.body.metadata.reason).toBe("Account Creation Ok");
    expect(result.body.metadata.reason).toMatch(/Account Creation Ok/);
    expect(result.body.data).toMatchObject({ user: "alice", domain: "alice.example.com", owner: "root", reseller: 0, suspended: 0 });
    expect(await usernames()).toContain("alice");
  });

  it("never stores or returns the password in clear", async () => {
    t = await createTestApp();
    const result = await createAccount("alice");
    expect(result.response.body).not.toContain(passwordOf("alice"));
    const stored = await t.store.getAccountByUsername("alice");
    expect(stored?.passwordHash).toBeTruthy();
    expect(stored?.passwordHash).not.toContain(passwordOf("alice"));
    const audit = await t.keyhold.audit.list({ limit: 100 });
    expect(JSON.stringify(audit)).not.toContain(passwordOf("alice"));
  });

  it("lets the new account log in with its password", async () => {
    t = await createTestApp();
    await createReseller("bob");
    expectOk(await t.whm("version", {}, basic("bob")), "version");
    const wrong = await t.whm("version", {}, { basic: ["bob", "not-the-password"] });
    expect(wrong.status).toBe(401);
  });

  it("with reseller=1 makes a reseller with WHM's initial privileges", async () => {
    t = await createTestApp();
    const result = await createAccount("res", { reseller: "1" });
    expectOk(result, "createacct");
    expect(result.body.metadata.reason).toBe("Account Creation Ok");
    expect(result.body.data.reseller).toBe(1);
    const resellers = await t.whm("listresellers");
    expect(resellers.body.data.reseller).toEqual(["res"]);
    const privs = await t.whm("myprivs", {}, basic("res"));
    const map = privs.body.data.privileges[0] as Record<string, number>;
    for (const acl of DEFAULT_RESELLER_ACLS) expect(map[acl], acl).toBe(1);
    expect(map["create-acct"]).toBe(0);
    expect(map["all"]).toBe(0);
  });

  it("treats reseller=0 as a plain account", async () => {
    t = await createTestApp();
    const result = await createAccount("plain", { reseller: "0" });
    expectOk(result, "createacct");
    expect(result.body.data.reseller).toBe(0);
    expect((await t.whm("listresellers")).body.data.reseller).toEqual([]);
  });

  it("lets root create an account for a reseller with owner=", async () => {
    t = await createTestApp();
    await createReseller("res");
    const result = await createAccount("owned", { owner: "res" });
    expectOk(result, "createacct");
    expect(result.body.data.owner).toBe("res");
    expect((await t.store.getAccountByUsername("owned"))?.owner).toBe("res");
  });

  it("refuses an owner that is not a reseller, or does not exist", async () => {
    t = await createTestApp();
    expectOk(await createAccount("plain"), "createacct");
    expectRefused(await createAccount("owned", { owner: "plain" }), "createacct", /plain.*not a reseller/);
    expectRefused(await createAccount("owned", { owner: "ghost" }), "createacct", /ghost/);
    expect(await t.store.getAccountByUsername("owned")).toBeNull();
  });

  it("makes a reseller the owner of what it creates, and refuses owner= and reseller=1 from it", async () => {
    t = await createTestApp();
    await createReseller("res", { acls: [...DEFAULT_RESELLER_ACLS, "create-acct", "list-accts"] });
    await createReseller("other");
    const created = await createAccount("mine", {}, basic("res"));
    expectOk(created, "createacct");
    expect(created.body.data.owner).toBe("res");
    expectRefused(await createAccount("theirs", { owner: "other" }, basic("res")), "createacct", /owner/i);
    expectRefused(await createAccount("subres", { reseller: "1" }, basic("res")), "createacct", /root-level|all/);
    expect(await t.store.getAccountByUsername("theirs")).toBeNull();
    expect(await t.store.getAccountByUsername("subres")).toBeNull();
  });

  it("refuses a duplicate username and leaves the first account as it was", async () => {
    t = await createTestApp();
    expectOk(await createAccount("alice"), "createacct");
    const before = await accountCount(t);
    const duplicate = await t.whm("createacct", { username: "alice", password: "another-password-1", domain: "other.example.com" });
    expectRefused(duplicate, "createacct", /alice.*already exists/);
    expect(await accountCount(t)).toBe(before);
    const stored = await t.store.getAccountByUsername("alice");
    expect(stored?.domain).toBe("alice.example.com");
    // The first account's password still works, the duplicate's never did.
    expectOk(await t.whm("setupreseller", { user: "alice" }), "setupreseller");
    expectOk(await t.whm("version", {}, basic("alice")), "version");
    expect((await t.whm("version", {}, { basic: ["alice", "another-password-1"] })).status).toBe(401);
  });

  it("refuses a domain that already belongs to another account", async () => {
    t = await createTestApp();
    expectOk(await createAccount("alice"), "createacct");
    const before = await accountCount(t);
    const clash = await t.whm("createacct", { username: "bob", password: passwordOf("bob"), domain: "alice.example.com" });
    expectRefused(clash, "createacct", /alice\.example\.com.*already belongs/);
    expect(await accountCount(t)).toBe(before);
    expect(await t.store.getAccountByUsername("bob")).toBeNull();
    // The domain is compared case-insensitively, as DNS names are.
    expectRefused(await t.whm("createacct", { username: "bob", password: passwordOf("bob"), domain: "ALICE.Example.COM" }), "createacct", /already belongs/);
  });

  it.each([
    ["Bad!", "punctuation"],
    ["1abc", "a leading digit"],
    ["a".repeat(17), "17 characters"],
    ["Alice", "upper case"],
    ["al ice", "a space"],
    ["al-ice", "a hyphen"],
    ["", "an empty name"],
  ])("refuses the username %j (%s)", async (username) => {
    t = await createTestApp();
    const before = await accountCount(t);
    const result = await t.whm("createacct", { username, password: "good-password-1", domain: "valid.example.com" });
    expectRefused(result, "createacct", username === "" ? /username/ : /[Ii]nvalid username/);
    expect(await accountCount(t)).toBe(before);
  });

  it("accepts a 16-character username, the longest allowed", async () => {
    t = await createTestApp();
    expectOk(await createAccount("a".repeat(16)), "createacct");
  });

  it.each(["root", "all", "admin", "cpanel", "nobody", "whm"])("refuses the reserved username %j", async (username) => {
    t = await createTestApp();
    const before = await accountCount(t);
    const result = await t.whm("createacct", { username, password: "good-password-1", domain: `${username}x.example.com` });
    expectRefused(result, "createacct", /reserved/);
    expect(await accountCount(t)).toBe(before);
  });

  it("refuses a missing or invalid domain", async () => {
    t = await createTestApp();
    expectRefused(await t.whm("createacct", { username: "alice", password: passwordOf("alice") }), "createacct", /domain/);
    expectRefused(await t.whm("createacct", { username: "alice", password: passwordOf("alice"), domain: "" }), "createacct", /domain/);
    expectRefused(await t.whm("createacct", { username: "alice", password: passwordOf("alice"), domain: "not a domain" }), "createacct", /domain/i);
    expectRefused(await t.whm("createacct", { username: "alice", password: passwordOf("alice"), domain: "localhost" }), "createacct", /domain/i);
    expect(await t.store.getAccountByUsername("alice")).toBeNull();
  });

  it("refuses a missing username", async () => {
    t = await createTestApp();
    expectRefused(await t.whm("createacct", { password: "good-password-1", domain: "x.example.com" }), "createacct", /username/);
  });

  it("refuses a weak (too short) password and creates nothing", async () => {
    t = await createTestApp();
    const before = await accountCount(t);
    const result = await t.whm("createacct", { username: "alice", password: "Xq9#zk", domain: "alice.example.com" });
    expectRefused(result, "createacct", /password/i);
    expect(result.body.metadata.reason).not.toContain("Xq9#zk");
    expect(await accountCount(t)).toBe(before);
    expect(await t.store.getAccountByUsername("alice")).toBeNull();
  });

  it("refuses a password with control characters", async () => {
    t = await createTestApp();
    const result = await t.whm("createacct", { username: "alice", password: "good-pass\nword-1", domain: "alice.example.com" });
    expectRefused(result, "createacct", /password/i);
    expect(await t.store.getAccountByUsername("alice")).toBeNull();
  });
});

describe("removeacct", () => {
  it("removes an account with WHM's reason", async () => {
    t = await createTestApp();
    expectOk(await createAccount("alice"), "createacct");
    const result = await t.whm("removeacct", { user: "alice" });
    expectOk(result, "removeacct");
    expect(result.body.metadata.reason).toBe("alice account removed");
    expect(await usernames()).not.toContain("alice");
    expect(await t.store.getAccountByUsername("alice")).toBeNull();
  });

  it("accepts username= as well as user=", async () => {
    t = await createTestApp();
    expectOk(await createAccount("alice"), "createacct");
    const result = await t.whm("removeacct", { username: "alice" });
    expectOk(result, "removeacct");
    expect(result.body.metadata.reason).toMatch(/alice account removed/);
  });

  it("refuses an unknown user", async () => {
    t = await createTestApp();
    expectRefused(await t.whm("removeacct", { user: "ghost" }), "removeacct", /ghost/);
    expectRefused(await t.whm("removeacct", { user: "Bad!" }), "removeacct", /does not exist/);
    expectRefused(await t.whm("removeacct", {}), "removeacct", /user/);
  });

  it("refuses to remove root", async () => {
    t = await createTestApp();
    const result = await t.whm("removeacct", { user: "root" });
    expectRefused(result, "removeacct", /root/);
    expect(await t.store.getAccountByUsername("root")).not.toBeNull();
    expectOk(await t.whm("version"), "version");
  });

  it("refuses a reseller removing an account it does not own, and allows its own", async () => {
    t = await createTestApp();
    await createReseller("res", { acls: [...DEFAULT_RESELLER_ACLS, "create-acct", "kill-acct", "list-accts"] });
    await createReseller("other");
    expectOk(await createAccount("rootowned"), "createacct");
    expectOk(await createAccount("otherowned", { owner: "other" }), "createacct");
    expectOk(await createAccount("mine", {}, basic("res")), "createacct");

    expectRefused(await t.whm("removeacct", { user: "rootowned" }, basic("res")), "removeacct", /rootowned/);
    expectRefused(await t.whm("removeacct", { user: "otherowned" }, basic("res")), "removeacct", /otherowned/);
    expectRefused(await t.whm("removeacct", { user: "other" }, basic("res")), "removeacct");
    expectRefused(await t.whm("removeacct", { user: "root" }, basic("res")), "removeacct");
    expectRefused(await t.whm("removeacct", { user: "res" }, basic("res")), "removeacct", /own account/);
    for (const name of ["rootowned", "otherowned", "other", "res"]) {
      expect(await t.store.getAccountByUsername(name), name).not.toBeNull();
    }

    const own = await t.whm("removeacct", { user: "mine" }, basic("res"));
    expectOk(own, "removeacct");
    expect(own.body.metadata.reason).toBe("mine account removed");
  });

  it("refuses a reseller without kill-acct even for its own accounts", async () => {
    t = await createTestApp();
    await createReseller("res", { acls: [...DEFAULT_RESELLER_ACLS, "create-acct"] });
    expectOk(await createAccount("mine", {}, basic("res")), "createacct");
    expectRefused(await t.whm("removeacct", { user: "mine" }, basic("res")), "removeacct", /kill-acct/);
    expect(await t.store.getAccountByUsername("mine")).not.toBeNull();
  });

  it("passes the accounts of a removed reseller to root", async () => {
    t = await createTestApp();
    await createReseller("res");
    expectOk(await createAccount("child1", { owner: "res" }), "createacct");
    expectOk(await createAccount("child2", { owner: "res" }), "createacct");
    expectOk(await t.whm("removeacct", { user: "res" }), "removeacct");
    const list = await t.whm("listaccts");
    const accounts = list.body.data.acct as Array<{ user: string; owner: string }>;
    expect(accounts.find((account) => account.user === "res")).toBeUndefined();
    expect(accounts.find((account) => account.user === "child1")?.owner).toBe("root");
    expect(accounts.find((account) => account.user === "child2")?.owner).toBe("root");
  });

  it("removes the account's tokens, access hash and sessions, so none of them authenticates any more", async () => {
    t = await createTestApp({ settings: { allow_deprecated_accesshash: "1" } });
    await createReseller("res");
    const token = await t.whm("api_token_create", { token_name: "billing" }, basic("res"));
    expectOk(token, "api_token_create");
    const plaintext = token.body.data.token as string;
    const hash = await t.whm("accesshash", { user: "res", generate: "1" });
    expectOk(hash, "accesshash");
    const accesshash = hash.body.data.accesshash as string;
    const login = await t.app.inject({
      method: "POST",
      url: "/login",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      payload: form({ user: "res", pass: passwordOf("res") }),
    });
    expect(login.statusCode).toBe(302);
    const cookie = login.cookies.find((c) => c.name === "whostmgrsession")!.value;
    const session = async () =>
      t.app.inject({ method: "GET", url: `${login.headers.location as string}json-api/version?api.version=1`, headers: { cookie: `whostmgrsession=${cookie}` } });

    // Everything works before the removal (and the directory has cached it).
    expectOk(await t.whm("version", {}, { whm: ["res", plaintext] }), "version");
    expectOk(await t.whm("version", {}, { whm: ["res", accesshash] }), "version");
    expectOk(await t.whm("version", {}, basic("res")), "version");
    expect((await session()).statusCode).toBe(200);

    const id = (await t.store.getAccountByUsername("res"))!.id;
    expectOk(await t.whm("removeacct", { user: "res" }), "removeacct");

    expect((await t.whm("version", {}, { whm: ["res", plaintext] })).status).toBe(401);
    expect((await t.whm("version", {}, { whm: ["res", accesshash] })).status).toBe(401);
    expect((await t.whm("version", {}, basic("res"))).status).toBe(401);
    expect((await session()).statusCode).toBe(401);
    expect(await t.store.listApiTokens(id)).toEqual([]);
    expect(await t.store.getAccessHash(id)).toBeNull();
  });

  it("lets the username be used again after removal, with a fresh password", async () => {
    t = await createTestApp();
    await createReseller("res");
    expectOk(await t.whm("removeacct", { user: "res" }), "removeacct");
    expectOk(await t.whm("createacct", { username: "res", password: "fresh-password-1", domain: "res.example.com", reseller: "1" }), "createacct");
    expect((await t.whm("version", {}, basic("res"))).status).toBe(401);
    expectOk(await t.whm("version", {}, { basic: ["res", "fresh-password-1"] }), "version");
  });
});

describe("listaccts", () => {
  async function populate(): Promise<void> {
    await createReseller("res", { acls: [...DEFAULT_RESELLER_ACLS, "list-accts", "create-acct"] });
    await createReseller("other", { acls: [...DEFAULT_RESELLER_ACLS, "list-accts"] });
    expectOk(await createAccount("alpha", { owner: "res" }), "createacct");
    expectOk(await createAccount("beta", { owner: "res" }), "createacct");
    expectOk(await createAccount("gamma", { owner: "other" }), "createacct");
    expectOk(await createAccount("delta"), "createacct");
  }

  it("shows root every account", async () => {
    t = await createTestApp();
    await populate();
    const names = await usernames();
    for (const name of ["res", "other", "alpha", "beta", "gamma", "delta"]) expect(names).toContain(name);
  });

  it("shows a reseller only the accounts it owns", async () => {
    t = await createTestApp();
    await populate();
    expect(await usernames(basic("res"))).toEqual(["alpha", "beta"]);
    expect(await usernames(basic("other"))).toEqual(["gamma"]);
  });

  it("returns WHM's fields for each account", async () => {
    t = await createTestApp();
    await populate();
    const list = await t.whm("listaccts", { search: "alpha" });
    expect(list.body.data.acct).toHaveLength(1);
    const alpha = list.body.data.acct[0];
    expect(alpha).toMatchObject({ user: "alpha", domain: "alpha.example.com", owner: "res", suspended: 0 });
    expect(typeof alpha.unix_startdate).toBe("number");
    expect(JSON.stringify(list.body)).not.toMatch(/passwordHash|scrypt/);
  });

  it("filters with search and searchtype", async () => {
    t = await createTestApp();
    await populate();
    expect(await usernames(ROOT, { search: "alp" })).toEqual(["alpha"]);
    expect(await usernames(ROOT, { search: "a", searchtype: "user" })).toEqual(["alpha", "beta", "delta", "gamma"]);
    expect(await usernames(ROOT, { search: "gamma.example", searchtype: "domain" })).toEqual(["gamma"]);
    expect(await usernames(ROOT, { search: "res", searchtype: "owner" })).toEqual(["alpha", "beta"]);
    expect(await usernames(ROOT, { search: "nothing-like-this" })).toEqual([]);
    // A reseller's search never reaches beyond its own accounts.
    expect(await usernames(basic("res"), { search: "gamma" })).toEqual([]);
  });

  it("is refused to a reseller without list-accts", async () => {
    t = await createTestApp();
    await createReseller("res");
    expectRefused(await t.whm("listaccts", {}, basic("res")), "listaccts", /list-accts/);
  });
});

describe("resellers and privileges", () => {
  it("setupreseller makes an account a reseller; unsetupreseller undoes it", async () => {
    t = await createTestApp();
    expectOk(await createAccount("alice"), "createacct");
    const setup = await t.whm("setupreseller", { user: "alice" });
    expectOk(setup, "setupreseller");
    expect(setup.body.metadata.reason).toMatch(/alice/);
    expect((await t.whm("listresellers")).body.data.reseller).toEqual(["alice"]);
    const privs = await t.whm("myprivs", {}, basic("alice"));
    expect(privs.body.data.privileges[0]["manage-api-tokens"]).toBe(1);

    const unsetup = await t.whm("unsetupreseller", { user: "alice" });
    expectOk(unsetup, "unsetupreseller");
    expect(unsetup.body.metadata.reason).toMatch(/alice/);
    expect((await t.whm("listresellers")).body.data.reseller).toEqual([]);
    expect((await t.store.getAccountByUsername("alice"))?.role).toBe("user");
  });

  it("unsetupreseller passes the reseller's accounts to root", async () => {
    t = await createTestApp();
    await createReseller("res");
    expectOk(await createAccount("child", { owner: "res" }), "createacct");
    expectOk(await t.whm("unsetupreseller", { user: "res" }), "unsetupreseller");
    expect((await t.store.getAccountByUsername("child"))?.owner).toBe("root");
  });

  it("refuses setupreseller and unsetupreseller for unknown users, root, and non-resellers", async () => {
    t = await createTestApp();
    expectOk(await createAccount("plain"), "createacct");
    expectRefused(await t.whm("setupreseller", { user: "ghost" }), "setupreseller", /ghost/);
    expectRefused(await t.whm("setupreseller", { user: "root" }), "setupreseller", /root/);
    expectRefused(await t.whm("setupreseller", {}), "setupreseller", /user/);
    expectRefused(await t.whm("unsetupreseller", { user: "plain" }), "unsetupreseller", /not a reseller/);
    expectRefused(await t.whm("unsetupreseller", { user: "ghost" }), "unsetupreseller", /ghost/);
  });

  it("listresellers lists every reseller, and only resellers", async () => {
    t = await createTestApp();
    await createReseller("res1");
    await createReseller("res2");
    expectOk(await createAccount("plain"), "createacct");
    const result = await t.whm("listresellers");
    expectOk(result, "listresellers");
    expect([...result.body.data.reseller].sort()).toEqual(["res1", "res2"]);
  });

  it("setacls takes WHM's acl-<name>=1 form and replaces the whole list", async () => {
    t = await createTestApp();
    await createReseller("res");
    const result = await t.whm("setacls", { reseller: "res", "acl-create-acct": "1", "acl-list-accts": "1", "acl-kill-acct": "0" });
    expectOk(result, "setacls");
    expect(result.body.data.acls).toEqual(["create-acct", "list-accts"]);
    const map = (await t.whm("myprivs", {}, basic("res"))).body.data.privileges[0] as Record<string, number>;
    expect(map["create-acct"]).toBe(1);
    expect(map["list-accts"]).toBe(1);
    expect(map["kill-acct"]).toBe(0);
    // Initial privileges not sent were removed.
    expect(map["manage-api-tokens"]).toBe(0);
    // The new privileges take effect on the next request.
    expectOk(await createAccount("child", {}, basic("res")), "createacct");
  });

  it("setacls with acl-all=1 makes the reseller root-level", async () => {
    t = await createTestApp();
    await createReseller("res");
    expectRefused(await t.whm("listresellers", {}, basic("res")), "listresellers");
    expectOk(await t.whm("setacls", { reseller: "res", "acl-all": "1" }), "setacls");
    expectOk(await t.whm("listresellers", {}, basic("res")), "listresellers");
    const map = (await t.whm("myprivs", {}, basic("res"))).body.data.privileges[0] as Record<string, number>;
    expect(Object.values(map).every((value) => value === 1)).toBe(true);
  });

  it("setacls refuses an unknown ACL and changes nothing", async () => {
    t = await createTestApp();
    await createReseller("res", { acls: ["create-acct"] });
    const result = await t.whm("setacls", { reseller: "res", "acl-list-accts": "1", "acl-launch-missiles": "1" });
    expectRefused(result, "setacls", /launch-missiles/);
    expect((await t.store.getAccountByUsername("res"))?.acls).toEqual(["create-acct"]);
  });

  it("setacls refuses a target that is not a reseller", async () => {
    t = await createTestApp();
    expectOk(await createAccount("plain"), "createacct");
    expectRefused(await t.whm("setacls", { reseller: "plain", "acl-list-accts": "1" }), "setacls", /not a reseller/);
    expectRefused(await t.whm("setacls", { reseller: "ghost", "acl-list-accts": "1" }), "setacls", /ghost/);
    expectRefused(await t.whm("setacls", { "acl-list-accts": "1" }), "setacls", /reseller/);
  });

  it("setupreseller, unsetupreseller, listresellers and setacls are root-only", async () => {
    t = await createTestApp();
    // Every privilege except root access.
    await createReseller("res", { acls: KNOWN_ACLS.filter((acl) => acl !== "all") });
    await createReseller("other");
    expectOk(await createAccount("plain"), "createacct");
    expectRefused(await t.whm("setupreseller", { user: "plain" }, basic("res")), "setupreseller", /root/);
    expectRefused(await t.whm("unsetupreseller", { user: "other" }, basic("res")), "unsetupreseller", /root/);
    expectRefused(await t.whm("listresellers", {}, basic("res")), "listresellers", /root/);
    expectRefused(await t.whm("setacls", { reseller: "res", "acl-all": "1" }, basic("res")), "setacls", /root/);
    expect((await t.store.getAccountByUsername("plain"))?.role).toBe("user");
    expect((await t.store.getAccountByUsername("other"))?.role).toBe("reseller");
    expect((await t.store.getAccountByUsername("res"))?.acls).not.toContain("all");
  });
});

describe("myprivs, applist, version, loadavg", () => {
  it("myprivs answers a map of every ACL to 0 or 1", async () => {
    t = await createTestApp();
    const root = await t.whm("myprivs");
    expectOk(root, "myprivs");
    const rootMap = root.body.data.privileges[0] as Record<string, number>;
    expect(Object.keys(rootMap).sort()).toEqual([...KNOWN_ACLS].sort());
    expect(Object.values(rootMap).every((value) => value === 1)).toBe(true);

    await createReseller("res", { acls: ["list-accts", "create-acct"] });
    const res = (await t.whm("myprivs", {}, basic("res"))).body.data.privileges[0] as Record<string, number>;
    expect(Object.keys(res).sort()).toEqual([...KNOWN_ACLS].sort());
    expect(Object.values(res).every((value) => value === 0 || value === 1)).toBe(true);
    expect(Object.entries(res).filter(([, value]) => value === 1).map(([name]) => name).sort()).toEqual(["create-acct", "list-accts"]);
  });

  it("applist lists every function, this one and the account functions included", async () => {
    t = await createTestApp();
    const result = await t.whm("applist");
    expectOk(result, "applist");
    const apps = result.body.data.app as string[];
    for (const fn of [
      "accesshash",
      "applist",
      "createacct",
      "get_tweaksetting",
      "listaccts",
      "listresellers",
      "loadavg",
      "myprivs",
      "removeacct",
      "set_tweaksetting",
      "setacls",
      "setupreseller",
      "suspendacct",
      "unsetupreseller",
      "unsuspendacct",
      "version",
    ]) {
      expect(apps, fn).toContain(fn);
    }
    expect(apps).toEqual([...apps].sort());
  });

  it("version answers WHM's version", async () => {
    t = await createTestApp();
    const result = await t.whm("version");
    expectOk(result, "version");
    expect(result.body.data.version).toMatch(/^11\.\d+\.\d+\.\d+$/);
  });

  it("loadavg answers one, five and fifteen at the top level and in data", async () => {
    t = await createTestApp();
    const result = await t.whm("loadavg");
    expectOk(result, "loadavg");
    for (const key of ["one", "five", "fifteen"]) {
      expect(result.body[key], key).toBeDefined();
      expect(result.body[key], key).toBe(result.body.data[key]);
      expect(Number.isFinite(Number(result.body[key])), key).toBe(true);
    }
  });

  it("a reseller with only the initial privileges may call version, loadavg, myprivs and applist", async () => {
    t = await createTestApp();
    await createReseller("res");
    for (const fn of ["version", "loadavg", "myprivs", "applist"]) expectOk(await t.whm(fn, {}, basic("res")), fn);
  });
});

describe("suspendacct and unsuspendacct", () => {
  it("a suspended account cannot authenticate; unsuspending restores it", async () => {
    t = await createTestApp();
    await createReseller("res");
    const token = await t.whm("api_token_create", { token_name: "t1" }, basic("res"));
    expectOk(token, "api_token_create");
    const auth: Auth = { whm: ["res", token.body.data.token as string] };
    expectOk(await t.whm("version", {}, basic("res")), "version");
    expectOk(await t.whm("version", {}, auth), "version");

    const suspended = await t.whm("suspendacct", { user: "res" });
    expectOk(suspended, "suspendacct");
    expect(suspended.body.metadata.reason).toMatch(/res/);
    expect((await t.whm("version", {}, basic("res"))).status).toBe(401);
    expect((await t.whm("version", {}, auth)).status).toBe(401);
    const login = await t.app.inject({ method: "POST", url: "/login", headers: { "content-type": "application/x-www-form-urlencoded" }, payload: form({ user: "res", pass: passwordOf("res") }) });
    expect(login.statusCode).not.toBe(302);
    expect(login.headers.location).toBeUndefined();
    const listed = await t.whm("listaccts", { search: "res" });
    expect(listed.body.data.acct.find((a: { user: string }) => a.user === "res").suspended).toBe(1);

    const unsuspended = await t.whm("unsuspendacct", { user: "res" });
    expectOk(unsuspended, "unsuspendacct");
    expectOk(await t.whm("version", {}, basic("res")), "version");
    expectOk(await t.whm("version", {}, auth), "version");
  });

  it("ends an open session of the account it suspends", async () => {
    t = await createTestApp();
    await createReseller("res");
    const login = await t.app.inject({ method: "POST", url: "/login", headers: { "content-type": "application/x-www-form-urlencoded" }, payload: form({ user: "res", pass: passwordOf("res") }) });
    const cookie = login.cookies.find((c) => c.name === "whostmgrsession")!.value;
    const call = () => t.app.inject({ method: "GET", url: `${login.headers.location as string}json-api/version?api.version=1`, headers: { cookie: `whostmgrsession=${cookie}` } });
    expect((await call()).statusCode).toBe(200);
    expectOk(await t.whm("suspendacct", { user: "res" }), "suspendacct");
    expect((await call()).statusCode).toBe(401);
  });

  it("refuses root, the caller itself, unknown users and accounts the caller does not control", async () => {
    t = await createTestApp();
    await createReseller("res", { acls: [...DEFAULT_RESELLER_ACLS, "suspend-acct"] });
    expectOk(await createAccount("rootowned"), "createacct");
    expectRefused(await t.whm("suspendacct", { user: "root" }), "suspendacct", /root/);
    expectRefused(await t.whm("suspendacct", { user: "ghost" }), "suspendacct", /ghost/);
    expectRefused(await t.whm("suspendacct", { user: "res" }, basic("res")), "suspendacct");
    expectRefused(await t.whm("suspendacct", { user: "rootowned" }, basic("res")), "suspendacct", /rootowned/);
    expect((await t.store.getAccountByUsername("rootowned"))?.suspended).toBe(false);
    expect((await t.store.getAccountByUsername("res"))?.suspended).toBe(false);
    expectOk(await t.whm("version"), "version");
  });
});

describe("get_tweaksetting and set_tweaksetting", () => {
  it("reads the default and a value set", async () => {
    t = await createTestApp();
    const initial = await t.whm("get_tweaksetting", { key: "allow_deprecated_accesshash" });
    expectOk(initial, "get_tweaksetting");
    expect(initial.body.data.tweaksetting).toEqual({ key: "allow_deprecated_accesshash", value: 0 });

    expectOk(await t.whm("set_tweaksetting", { key: "allow_deprecated_accesshash", value: "1" }), "set_tweaksetting");
    const after = await t.whm("get_tweaksetting", { key: "allow_deprecated_accesshash" });
    expect(after.body.data.tweaksetting.value).toBe(1);
    expect(t.keyhold.settings.get().allow_deprecated_accesshash).toBe(1);
  });

  it("reads cPHulk's defaults", async () => {
    t = await createTestApp();
    const value = async (key: string) => (await t.whm("get_tweaksetting", { key })).body.data.tweaksetting.value;
    expect(await value("max_failures_byip")).toBe(5);
    expect(await value("ip_brute_force_period_mins")).toBe(15);
    expect(await value("max_failures")).toBe(15);
  });

  it.each([
    ["allow_deprecated_accesshash", "2"],
    ["allow_deprecated_accesshash", "yes"],
    ["allow_deprecated_accesshash", ""],
    ["allow_deprecated_accesshash", "-1"],
    ["allow_deprecated_accesshash", "1.5"],
    ["max_failures_byip", "0"],
    ["max_failures_byip", "abc"],
    ["max_failures_byip", "99999999999999999999"],
  ])("refuses %s=%j and keeps the old value", async (key, value) => {
    t = await createTestApp();
    const before = t.keyhold.settings.get()[key as "max_failures_byip"];
    expectRefused(await t.whm("set_tweaksetting", { key, value }), "set_tweaksetting", new RegExp(key));
    expect(t.keyhold.settings.get()[key as "max_failures_byip"]).toBe(before);
    expect((await t.whm("get_tweaksetting", { key })).body.data.tweaksetting.value).toBe(before);
  });

  it("refuses unknown keys", async () => {
    t = await createTestApp();
    expectRefused(await t.whm("set_tweaksetting", { key: "no_such_setting", value: "1" }), "set_tweaksetting", /no_such_setting/);
    expectRefused(await t.whm("get_tweaksetting", { key: "no_such_setting" }), "get_tweaksetting", /no_such_setting/);
    expectRefused(await t.whm("get_tweaksetting", {}), "get_tweaksetting", /key/);
  });

  it("is root-only", async () => {
    t = await createTestApp();
    await createReseller("res", { acls: KNOWN_ACLS.filter((acl) => acl !== "all") });
    expectRefused(await t.whm("get_tweaksetting", { key: "allow_deprecated_accesshash" }, basic("res")), "get_tweaksetting", /root/);
    expectRefused(await t.whm("set_tweaksetting", { key: "allow_deprecated_accesshash", value: "1" }, basic("res")), "set_tweaksetting", /root/);
    expect(t.keyhold.settings.get().allow_deprecated_accesshash).toBe(0);
  });

  it("records a change in the audit log", async () => {
    t = await createTestApp();
    expectOk(await t.whm("set_tweaksetting", { key: "max_failures_byip", value: "7" }), "set_tweaksetting");
    const entries = await t.keyhold.audit.list({ limit: 100, action: "setting.set" });
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ actor: "root", target: "max_failures_byip", ip: "127.0.0.1" });
  });
});

describe("privileges and unknown functions", () => {
  it("a call the caller's ACLs do not allow is HTTP 200 with result 0 and a clear reason", async () => {
    t = await createTestApp();
    await createReseller("res");
    const result = await createAccount("child", {}, basic("res"));
    expect(result.status).toBe(200);
    expect(result.body.metadata).toMatchObject({ command: "createacct", result: 0, version: 1 });
    expect(result.body.metadata.reason).toMatch(/create-acct/);
    expect(result.body.metadata.reason).toMatch(/[Pp]ermission denied/);
    expect(result.body.data).toBeNull();
    expect(await t.store.getAccountByUsername("child")).toBeNull();
  });

  it("an unknown function is answered as WHM answers it", async () => {
    t = await createTestApp();
    const result = await t.whm("no_such_function");
    expect(result.status).toBe(200);
    expect(result.body.metadata.result).toBe(0);
    expect(result.body.metadata.reason).toBe("Unknown app (no_such_function) requested for this version (1) of the API.");
    expect(result.body.metadata.reason).toMatch(UNKNOWN_APP);
    expect(result.body.metadata.command).toBe("no_such_function");
    expect(result.body.data).toBeNull();
  });

  it("an unknown function is still only answered to an authenticated caller", async () => {
    t = await createTestApp();
    const result = await t.whm("no_such_function", {}, null);
    expect(result.status).toBe(401);
    expect(result.body.metadata.result).toBe(0);
  });

  it("a function name with odd characters is echoed safely", async () => {
    t = await createTestApp();
    const result = await t.whm("weird%0Aname");
    expect(result.status).toBe(200);
    expect(result.body.metadata.reason).toMatch(UNKNOWN_APP);
    expect(result.body.metadata.reason).not.toContain("\n");
  });
});

describe("request forms", () => {
  it("GET with a query string works", async () => {
    t = await createTestApp();
    expectOk(await createAccount("alice"), "createacct");
    const response = await t.app.inject({ method: "GET", url: "/json-api/listaccts?api.version=1&search=alice&searchtype=user", headers: authorization(ROOT) });
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body.metadata).toMatchObject({ command: "listaccts", result: 1 });
    expect(body.data.acct.map((a: { user: string }) => a.user)).toEqual(["alice"]);
  });

  it("GET with a query string can create an account", async () => {
    t = await createTestApp();
    const query = form({ "api.version": "1", username: "alice", password: passwordOf("alice"), domain: "alice.example.com" });
    const response = await t.app.inject({ method: "GET", url: `/json-api/createacct?${query}`, headers: authorization(ROOT) });
    expect(response.json().metadata).toMatchObject({ result: 1, reason: "Account Creation Ok" });
    expect(await t.store.getAccountByUsername("alice")).not.toBeNull();
  });

  it("POST with a form body works", async () => {
    t = await createTestApp();
    const response = await t.app.inject({
      method: "POST",
      url: "/json-api/createacct",
      headers: { "content-type": "application/x-www-form-urlencoded; charset=UTF-8", ...authorization(ROOT) },
      payload: "api.version=1&username=alice&password=alice-password-1&domain=alice.example.com",
    });
    expect(response.statusCode).toBe(200);
    expect(response.json().metadata).toMatchObject({ result: 1, reason: "Account Creation Ok" });
  });

  it("POST with a JSON body works", async () => {
    t = await createTestApp();
    const response = await t.app.inject({
      method: "POST",
      url: "/json-api/createacct",
      headers: { "content-type": "application/json", ...authorization(ROOT) },
      payload: JSON.stringify({ "api.version": 1, username: "alice", password: passwordOf("alice"), domain: "alice.example.com", reseller: 1 }),
    });
    expect(response.statusCode).toBe(200);
    expect(response.json().metadata).toMatchObject({ command: "createacct", result: 1, reason: "Account Creation Ok" });
    expect((await t.store.getAccountByUsername("alice"))?.role).toBe("reseller");
  });

  it("a POST with no Content-Type at all (HTTP::Tiny) is parsed as a form", async () => {
    t = await createTestApp();
    const response = await t.app.inject({
      method: "POST",
      url: "/json-api/createacct",
      headers: authorization(ROOT),
      payload: Buffer.from("api.version=1&domain=alice.example.com&password=alice-password-1&reseller=1&username=alice"),
    });
    expect(response.statusCode).toBe(200);
    expect(response.json().metadata).toMatchObject({ command: "createacct", result: 1, reason: "Account Creation Ok" });
    const stored = await t.store.getAccountByUsername("alice");
    expect(stored?.domain).toBe("alice.example.com");
    expect(stored?.role).toBe("reseller");
  });

  it("a form body decodes percent-encoding and plus signs", async () => {
    t = await createTestApp();
    const response = await t.app.inject({
      method: "POST",
      url: "/json-api/createacct",
      headers: { "content-type": "application/x-www-form-urlencoded", ...authorization(ROOT) },
      payload: "api.version=1&username=alice&password=p%40ss+word+1%26x&domain=alice.example.com&reseller=1",
    });
    expect(response.json().metadata.result).toBe(1);
    expectOk(await t.whm("version", {}, { basic: ["alice", "p@ss word 1&x"] }), "version");
  });
});

describe("a reseller that owns another reseller", () => {
  it("may not act as one holding privileges it lacks, but may as one holding no more than it does", async () => {
    t = await createTestApp();
    await createReseller("bob", { acls: ["list-accts", "passwd", "suspend-acct", "create-acct", "manage-api-tokens"] });
    expectOk(await createAccount("carol", { reseller: "1", owner: "bob" }), "createacct");
    expectOk(await t.whm("setacls", { reseller: "carol", "acl-list-accts": "1", "acl-kill-acct": "1" }), "setacls");
    expectRefused(await t.whm("passwd", { user: "carol", password: "taken-over-1" }, basic("bob")), "passwd", /carol/);
    expectRefused(await t.whm("suspendacct", { user: "carol" }, basic("bob")), "suspendacct", /carol/);
    // Nor through a token of carol's, which would let it act as carol.
    const bobAuth = basicHeader("bob", passwordOf("bob"));
    const minted = await t.app.inject({ method: "POST", url: "/api/v1/tokens", headers: { authorization: bobAuth, "content-type": "application/json" }, payload: JSON.stringify({ user: "carol", name: "as_carol", acls: ["list-accts"] }) });
    expect(minted.statusCode, minted.body).toBe(403);
    expect((await t.whm("version", {}, basic("carol"))).status).toBe(200);

    expectOk(await t.whm("setacls", { reseller: "carol", "acl-list-accts": "1" }), "setacls");
    expectOk(await t.whm("passwd", { user: "carol", password: "reset-by-bob-1" }, basic("bob")), "passwd");
    expect((await t.whm("version", {}, { basic: ["carol", "reset-by-bob-1"] })).status).toBe(200);
  });
});
