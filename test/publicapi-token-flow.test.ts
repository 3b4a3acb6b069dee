import type { LightMyRequestResponse } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT_PASSWORD, authorization, createTestApp, form, type Auth, type TestApp } from "./harness.js";

// cPanel::PublicAPI 2.8's token test (t/05-api-query_tokens.t, reference §8), in process: the
// reseller flow from account creation through a password session to a token, and its removal.

const RESELLER = "pubres";
const RESELLER_PASSWORD = "pubres-password-1";

interface Session {
  readonly securityToken: string;
  readonly cookie: string;
}

describe("cPanel::PublicAPI's reseller token flow", () => {
  let t: TestApp;
  let resellerSession: Session;
  let token: string;

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => t?.close());

  /** What PublicAPI sends: a form POST with `api.version=1` first. */
  async function whm(fn: string, params: Record<string, string>, headers: Record<string, string>, prefix = ""): Promise<LightMyRequestResponse> {
    return t.app.inject({
      method: "POST",
      url: `${prefix}/json-api/${fn}`,
      headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
      payload: form({ "api.version": "1", ...params }),
    });
  }

  /** PublicAPI's password login: the security token is the 2nd `/`-part of Location; keep the cookies. */
  async function login(user: string, pass: string): Promise<Session> {
    const response = await t.app.inject({ method: "POST", url: "/login", headers: { "content-type": "application/x-www-form-urlencoded" }, payload: form({ user, pass }) });
    const location = response.headers.location;
    expect(typeof location, `login as ${user} answered ${response.statusCode}: ${response.body}`).toBe("string");
    expect(location).toMatch(/^\/cpsess\d{10}\//);
    const securityToken = (location as string).split("/")[1]!;
    const session = response.cookies.find((cookie) => cookie.name === "whostmgrsession");
    expect(session?.value ?? "").not.toBe("");
    return { securityToken, cookie: `whostmgrsession=${session!.value}` };
  }

  function viaSession(session: Session, fn: string, params: Record<string, string> = {}): Promise<LightMyRequestResponse> {
    return whm(fn, params, { cookie: session.cookie }, `/${session.securityToken}`);
  }

  const withAuth = (auth: Auth) => authorization(auth);

  it("creates the reseller with createacct (reason matches /Account Creation Ok/)", async () => {
    const rootSession = await login("root", ROOT_PASSWORD);
    const response = await viaSession(rootSession, "createacct", { username: RESELLER, password: RESELLER_PASSWORD, domain: `${RESELLER}.example.com`, reseller: "1" });
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body.metadata.result).toBe(1);
    expect(body.metadata.reason).toMatch(/Account Creation Ok/);
    expect(body.data).toMatchObject({ user: RESELLER, reseller: 1 });
  });

  it("logs in as the reseller with its password: a Location with /cpsess…/ and a whostmgrsession cookie", async () => {
    resellerSession = await login(RESELLER, RESELLER_PASSWORD);
    expect(resellerSession.securityToken).toMatch(/^cpsess\d{10}$/);
    // The session works under its prefix, and only there.
    expect((await viaSession(resellerSession, "version")).statusCode).toBe(200);
    expect((await whm("version", {}, { cookie: resellerSession.cookie })).statusCode).toBe(401);
  });

  it("creates my_token in that session (result 1, data.token the plaintext)", async () => {
    const response = await viaSession(resellerSession, "api_token_create", { token_name: "my_token" });
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body.metadata).toEqual({ command: "api_token_create", reason: "OK", result: 1, version: 1 });
    expect(body.data.name).toBe("my_token");
    expect(body.data.token).toMatch(/^[0-9A-Z]{32}$/);
    token = body.data.token;
    const listed = (await viaSession(resellerSession, "api_token_list")).json();
    expect(Object.keys(listed.data.tokens)).toEqual(["my_token"]);
  });

  it("refuses loadavg with `whm reseller:this is so wrong` (non-2xx, JSON, no `one`)", async () => {
    const response = await whm("loadavg", {}, withAuth({ whm: [RESELLER, "this is so wrong"] }));
    expect(response.statusCode).toBeGreaterThanOrEqual(400);
    expect(response.statusCode).toBe(401);
    const body = response.json();
    expect(body.metadata).toMatchObject({ command: "loadavg", result: 0 });
    expect(body.one).toBeUndefined();
  });

  it("answers loadavg with the right token, `one` defined at the top level", async () => {
    const response = await whm("loadavg", {}, withAuth({ whm: [RESELLER, token] }));
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body.metadata).toMatchObject({ command: "loadavg", result: 1 });
    expect(body.one).toBeDefined();
    expect(body.five).toBeDefined();
    expect(body.fifteen).toBeDefined();
    expect(body.one).toMatch(/^\d+\.\d\d$/);
  });

  it("removes the reseller (removeacct user=<name>, reason /<name> account removed/)", async () => {
    const response = await whm("removeacct", { user: RESELLER }, withAuth({ basic: ["root", ROOT_PASSWORD] }));
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body.metadata.result).toBe(1);
    expect(body.metadata.reason).toMatch(new RegExp(`${RESELLER} account removed`));
  });

  it("refuses the token afterwards with 401, and the session too", async () => {
    const response = await whm("loadavg", {}, withAuth({ whm: [RESELLER, token] }));
    expect(response.statusCode).toBe(401);
    expect(response.json().one).toBeUndefined();
    expect((await viaSession(resellerSession, "version")).statusCode).toBe(401);
  });

  it("took the tokens with the account: a new account of the same name does not inherit them", async () => {
    const created = await whm("createacct", { username: RESELLER, password: RESELLER_PASSWORD, domain: `${RESELLER}.example.com`, reseller: "1" }, withAuth({ basic: ["root", ROOT_PASSWORD] }));
    expect(created.json().metadata.result).toBe(1);
    expect((await whm("loadavg", {}, withAuth({ whm: [RESELLER, token] }))).statusCode).toBe(401);
    const listed = (await whm("api_token_list", {}, withAuth({ basic: [RESELLER, RESELLER_PASSWORD] }))).json();
    expect(listed.data.tokens).toEqual({});
  });
});
