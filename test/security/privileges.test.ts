import { afterEach, describe, expect, it } from "vitest";
import { CLI_ACTOR } from "../../src/core/actor.js";
import { ROOT, accountFixtures, basic, basicHeader, createTestApp, type Auth, type TestApp } from "../harness.js";
import { expectFailure, expectSuccess, restCaller } from "../rest-harness.js";

let t: TestApp;
const call = restCaller(() => t);
const { createUser } = accountFixtures(() => t, { via: "core" });
afterEach(async () => {
  await t?.close();
});

const ALICE = basic("alice");

async function token(owner: string, acls: string[] | undefined, name = "narrow"): Promise<Auth> {
  const created = await t.keyhold.tokens.create(CLI_ACTOR, owner, { name, ...(acls === undefined ? {} : { acls }) });
  return { whm: [owner, created.token] };
}

async function withAlice(): Promise<void> {
  t = await createTestApp();
  await createUser("alice");
}

describe("a plain `user` account has no access to WHM, whatever the credential", () => {
  it("Basic on /json-api cannot mint a token (as /login refuses it): WHM-shaped 403, nothing created", async () => {
    await withAlice();
    const minted = await t.whm("api_token_create", { token_name: "sneaky" }, ALICE);
    expect(minted.status).toBe(403);
    expect(minted.body.metadata).toMatchObject({ command: "api_token_create", result: 0, reason: "This account has no access to WHM." });
    expect(await t.keyhold.tokens.list(CLI_ACTOR, "alice")).toEqual([]);
    const login = await t.app.inject({ method: "POST", url: "/login", payload: "user=alice&pass=alice-password-1", headers: { "content-type": "application/x-www-form-urlencoded" } });
    expect(login.statusCode).toBe(403);
  });

  it("every function, and a token root issued to it, are refused on WHM the same way", async () => {
    await withAlice();
    const issued = await token("alice", undefined, "issued");
    for (const auth of [ALICE, issued]) {
      for (const fn of ["version", "myprivs", "api_token_list", "listaccts", "passwd"]) {
        const answer = await t.whm(fn, { user: "alice", password: "another-password-1" }, auth);
        expect(answer.status, fn).toBe(403);
        expect(answer.body.metadata.reason).toBe("This account has no access to WHM.");
      }
    }
    // The cpsess path form too (with a header credential; no session can exist for a user).
    const viaPrefix = await t.app.inject({ method: "GET", url: "/cpsess0123456789/json-api/version", headers: { authorization: basicHeader("alice", "alice-password-1") } });
    expect(viaPrefix.statusCode).toBe(403);
  });

  it("on REST it may use what it is given, but not mint or change tokens itself", async () => {
    await withAlice();
    expect(expectSuccess(await call("GET", "/api/v1/session", { auth: ALICE })).user).toBe("alice");
    expectFailure(await call("POST", "/api/v1/tokens", { auth: ALICE, payload: { name: "sneaky" } }), 403, /no access to WHM/);
    const issued = await token("alice", undefined, "issued");
    expectFailure(await call("PUT", "/api/v1/tokens/issued", { auth: ALICE, payload: { whitelist_ips: [] } }), 403, /no access to WHM/);
    expect(await t.keyhold.tokens.list(CLI_ACTOR, "alice")).toHaveLength(1);
    // The token root issued works on REST, and alice may still revoke it.
    expect(expectSuccess(await call("GET", "/api/v1/session", { auth: issued })).user).toBe("alice");
    expectSuccess(await call("DELETE", "/api/v1/tokens/issued", { auth: ALICE }));
  });
});

describe("GET /api/v1/audit", () => {
  it("a root token narrowed to list-accts reads nothing (403); root's password reads it all", async () => {
    t = await createTestApp();
    await t.whm("createacct", { username: "res1", domain: "res1.example.com", password: "res1-password-1", reseller: "1" });
    const narrow = await token("root", ["list-accts"]);
    expectFailure(await call("GET", "/api/v1/audit", { auth: narrow }), 403, /audit log/);
    expectFailure(await call("GET", "/api/v1/audit?actor=root", { auth: narrow }), 403);
    const all = expectSuccess(await call("GET", "/api/v1/audit", { auth: ROOT }));
    expect(all.some((entry: any) => entry.action === "account.create" && entry.target === "res1")).toBe(true);
    expectSuccess(await call("GET", "/api/v1/audit", { auth: await token("root", undefined, "full") }));
  });

  it("a reseller reads its own actions with its password or a full-access token, not with a narrowed one", async () => {
    t = await createTestApp();
    await t.whm("createacct", { username: "res1", domain: "res1.example.com", password: "res1-password-1", reseller: "1" });
    const RES1: Auth = { basic: ["res1", "res1-password-1"] };
    expectSuccess(await call("POST", "/api/v1/tokens", { auth: RES1, payload: { name: "mine" } }), 201);
    const own = expectSuccess(await call("GET", "/api/v1/audit", { auth: RES1 }));
    expect(own.length).toBeGreaterThan(0);
    expect(own.every((entry: any) => entry.actor === "res1")).toBe(true);
    expect(expectSuccess(await call("GET", "/api/v1/audit", { auth: await token("res1", undefined, "full") })).length).toBe(own.length);
    expectFailure(await call("GET", "/api/v1/audit", { auth: await token("res1", ["acct-summary"]) }), 403);
  });
});

describe("GET /api/v1/system/status", () => {
  const COUNTS = ["count_accounts", "count_resellers", "count_tokens", "count_access_hashes", "count_remote_access_keys"];

  it("store-wide counts only for root level; a narrowed root token and a reseller get health alone", async () => {
    t = await createTestApp();
    await t.whm("createacct", { username: "res1", domain: "res1.example.com", password: "res1-password-1", reseller: "1" });
    const rootStatus = expectSuccess(await call("GET", "/api/v1/system/status", { auth: ROOT }));
    for (const key of COUNTS) expect(rootStatus, key).toHaveProperty(key);
    for (const auth of [await token("root", ["list-accts"]), { basic: ["res1", "res1-password-1"] } as Auth]) {
      const status = expectSuccess(await call("GET", "/api/v1/system/status", { auth }));
      expect(status).toMatchObject({ status: "ok", store: "ok" });
      for (const key of COUNTS) expect(status, key).not.toHaveProperty(key);
    }
  });
});
