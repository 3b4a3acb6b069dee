import type { LightMyRequestResponse } from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import { CLI_ACTOR } from "../../src/core/actor.js";
import { accountFixtures, basic, createTestApp, type TestApp } from "../harness.js";
import { restCaller, type RestCall, type Method } from "../rest-harness.js";

// A reseller probing for other resellers' accounts: every answer about an account that is not
// its own must be exactly the answer about one that does not exist, name aside.

let t: TestApp;
const call = restCaller(() => t);
// Straight through the domain: only the probes below go over HTTP.
const { createReseller, createUser } = accountFixtures(() => t, { via: "core" });
afterEach(async () => {
  await t?.close();
});

const ALL_TENANT_ACLS = ["list-accts", "passwd", "suspend-acct", "kill-acct", "manage-api-tokens", "create-acct"];
const RES1 = basic("res1");
const CLIENT = "127.0.0.1";

async function twoTenants(res1Acls: readonly string[] = ALL_TENANT_ACLS): Promise<void> {
  t = await createTestApp();
  await createReseller("res1", { acls: res1Acls });
  await createReseller("res2", { acls: ALL_TENANT_ACLS });
  await createUser("u1", { owner: "res1" });
  await createUser("u2", { owner: "res2" });
}

/** The same request about `other` and about a name nobody has: same status, same body but the name. */
async function expectSameAsMissing(send: (name: string) => Promise<LightMyRequestResponse>, other: string, label: string): Promise<void> {
  const theirs = await send(other);
  const missing = await send("ghost");
  expect(theirs.statusCode, `${label}: ${theirs.body}`).toBe(missing.statusCode);
  expect(theirs.body.replaceAll(other, "NAME"), label).toBe(missing.body.replaceAll("ghost", "NAME"));
}

function rest(method: Method, url: (name: string) => string, options: (name: string) => RestCall = () => ({})) {
  return (name: string) => call(method, url(name), { auth: RES1, ip: CLIENT, ...options(name) });
}

const REST_PROBES: Array<[string, (name: string) => Promise<LightMyRequestResponse>]> = [
  ["GET /accounts/{user}", rest("GET", (name) => `/api/v1/accounts/${name}`)],
  ["PUT /accounts/{user} password", rest("PUT", (name) => `/api/v1/accounts/${name}`, () => ({ payload: { password: "taken-over-password-1" } }))],
  ["PUT /accounts/{user} suspended", rest("PUT", (name) => `/api/v1/accounts/${name}`, () => ({ payload: { suspended: true } }))],
  ["DELETE /accounts/{user}", rest("DELETE", (name) => `/api/v1/accounts/${name}`)],
  ["GET /tokens?user=", rest("GET", (name) => `/api/v1/tokens?user=${name}`)],
  ["GET /tokens/{name}?user=", rest("GET", (name) => `/api/v1/tokens/x?user=${name}`)],
  ["POST /tokens user=", rest("POST", () => "/api/v1/tokens", (name) => ({ payload: { name: "stolen", user: name, acls: ["list-accts"] } }))],
  ["DELETE /tokens/{name}?user=", rest("DELETE", (name) => `/api/v1/tokens/x?user=${name}`)],
  ["POST /access_hashes user=", rest("POST", () => "/api/v1/access_hashes", (name) => ({ payload: { name: "stolen", ip: CLIENT, user: name } }))],
];

describe("REST: another reseller's account answers as a missing one", () => {
  for (const other of ["u2", "res2"]) {
    for (const [label, send] of REST_PROBES) {
      it(`${label} about ${other}`, async () => {
        await twoTenants();
        await expectSameAsMissing(send, other, label);
        const answer = await send(other);
        expect(answer.statusCode, answer.body).toBe(404);
      });
    }
  }

  it("nothing was changed by the probes", async () => {
    await twoTenants();
    for (const [, send] of REST_PROBES) await send("u2");
    const u2 = await t.keyhold.accounts.require("u2");
    expect(u2.suspended).toBe(false);
    expect(await t.keyhold.tokens.list(CLI_ACTOR, "u2")).toEqual([]);
    expect((await call("GET", "/api/v1/session", { auth: { basic: ["u2", "u2-password-1"] } })).statusCode).toBe(200);
  });

  it("a reseller lacking the privilege gets the same 403 for accounts that exist and for missing ones", async () => {
    await twoTenants(["create-acct"]);
    for (const [label, send] of REST_PROBES) {
      await expectSameAsMissing(send, "u2", label);
      // Its own user too: the privilege is refused before anyone is looked up.
      await expectSameAsMissing(send, "u1", `${label} (own user)`);
    }
  });

  it("its own accounts it still reaches", async () => {
    await twoTenants();
    expect((await call("GET", "/api/v1/accounts/u1", { auth: RES1 })).statusCode).toBe(200);
    expect((await call("GET", "/api/v1/tokens?user=u1", { auth: RES1 })).statusCode).toBe(200);
  });
});

describe("WHM: another reseller's account answers WHM's “does not exist”", () => {
  const probes: Array<[string, (name: string) => Record<string, string>]> = [
    ["passwd", (name) => ({ user: name, password: "taken-over-password-1" })],
    ["suspendacct", (name) => ({ user: name })],
    ["unsuspendacct", (name) => ({ user: name })],
    ["removeacct", (name) => ({ user: name })],
  ];
  for (const [fn, params] of probes) {
    for (const other of ["u2", "res2"]) {
      it(`${fn} user=${other}`, async () => {
        await twoTenants();
        const send = async (name: string) => (await t.whm(fn, params(name), RES1)).response;
        await expectSameAsMissing(send, other, fn);
        const answer = await t.whm(fn, params(other), RES1);
        expect(answer.status).toBe(200);
        expect(answer.body.metadata).toMatchObject({ result: 0, reason: `The account “${other}” does not exist.` });
      });
    }
  }

  it("passwd without the privilege: the same refusal for an existing and a missing account", async () => {
    await twoTenants(["create-acct"]);
    const send = async (name: string) => (await t.whm("passwd", { user: name, password: "taken-over-password-1" }, RES1)).response;
    await expectSameAsMissing(send, "u2", "passwd");
    await expectSameAsMissing(send, "u1", "passwd (own user)");
  });
});
