import type { LightMyRequestResponse } from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import { ROOT_PASSWORD, accountFixtures, b64, createTestApp, form, type TestApp } from "./harness.js";

// The four ways WHM clients authenticate (issue 2; reference §2.3, §8), and bad headers.

let t: TestApp;
afterEach(async () => t?.close());
const { createReseller } = accountFixtures(() => t);

const FORM = { "content-type": "application/x-www-form-urlencoded" } as const;

async function rootToken(name = "client"): Promise<string> {
  const created = await t.whm("api_token_create", { token_name: name });
  expect(created.body.metadata.result, created.body.metadata.reason).toBe(1);
  return created.body.data.token as string;
}

/** A 401 in the WHM envelope whose reason a person can read and which leaks nothing sent. */
function expect401(response: LightMyRequestResponse, ...secrets: string[]): void {
  expect(response.statusCode, response.body).toBe(401);
  const body = response.json();
  expect(body.metadata.result).toBe(0);
  expect(body.metadata.version).toBe(1);
  expect(typeof body.metadata.reason).toBe("string");
  expect(body.metadata.reason.length).toBeGreaterThan(10);
  expect(body.metadata.reason).toMatch(/[A-Za-z]{3,} [A-Za-z]{2,}/);
  for (const secret of secrets) {
    expect(response.body).not.toContain(secret);
    expect(JSON.stringify(response.headers)).not.toContain(secret);
  }
}

async function call(headers: Record<string, string>, url = "/json-api/version?api.version=1", method: "GET" | "POST" = "GET"): Promise<LightMyRequestResponse> {
  return t.app.inject({ method, url, headers });
}

async function login(user: string, pass: string, query = ""): Promise<LightMyRequestResponse> {
  return t.app.inject({ method: "POST", url: `/login${query}`, headers: FORM, payload: form({ user, pass }) });
}

function sessionOf(response: LightMyRequestResponse): { token: string; cookie: string } {
  const location = response.headers.location as string;
  const token = /^\/(cpsess\d{10})\//.exec(location)![1]!;
  const cookie = response.cookies.find((c) => c.name === "whostmgrsession")!.value;
  return { token, cookie };
}

describe("HTTP Basic", () => {
  it("authenticates root", async () => {
    t = await createTestApp();
    const response = await call({ authorization: `Basic ${b64(`root:${ROOT_PASSWORD}`)}` });
    expect(response.statusCode).toBe(200);
    expect(response.json().metadata).toMatchObject({ command: "version", result: 1 });
  });

  it("takes the scheme in any letter case", async () => {
    t = await createTestApp();
    expect((await call({ authorization: `basic ${b64(`root:${ROOT_PASSWORD}`)}` })).statusCode).toBe(200);
    expect((await call({ authorization: `BASIC ${b64(`root:${ROOT_PASSWORD}`)}` })).statusCode).toBe(200);
  });

  it("accepts a password that contains a colon", async () => {
    t = await createTestApp();
    await createReseller("res", { password: "pass:word:with:colons" });
    expect((await call({ authorization: `Basic ${b64("res:pass:word:with:colons")}` })).statusCode).toBe(200);
  });

  it("refuses a wrong password with 401, a readable reason and no echo of the password", async () => {
    t = await createTestApp();
    const response = await call({ authorization: `Basic ${b64("root:Wrong-Secret-123")}` });
    expect401(response, "Wrong-Secret-123", b64("root:Wrong-Secret-123"));
    expect(response.json().metadata.command).toBe("version");
    expect(response.headers["www-authenticate"]).toMatch(/^Basic /);
  });

  it("answers an unknown user exactly as a wrong password", async () => {
    t = await createTestApp();
    const wrongPassword = await call({ authorization: `Basic ${b64("root:Wrong-Secret-123")}` });
    const unknownUser = await call({ authorization: `Basic ${b64("nosuchuser:Wrong-Secret-123")}` });
    expect401(unknownUser, "Wrong-Secret-123");
    expect(unknownUser.json()).toEqual(wrongPassword.json());
  });
});

describe("missing credentials", () => {
  it("a call without any credentials is 401 with a readable reason", async () => {
    t = await createTestApp();
    const response = await call({});
    expect401(response);
    expect(response.json().metadata.command).toBe("version");
    const post = await t.whm("createacct", { username: "alice", password: "alice-password-1", domain: "alice.example.com" }, null);
    expect(post.status).toBe(401);
    expect(await t.store.getAccountByUsername("alice")).toBeNull();
  });

  it("an empty Authorization header is 401", async () => {
    t = await createTestApp();
    expect401(await call({ authorization: "" }));
  });
});

describe("Authorization: whm user:token", () => {
  it("takes the scheme in any letter case", async () => {
    t = await createTestApp();
    const token = await rootToken();
    for (const scheme of ["whm", "WHM", "Whm", "wHm"]) {
      const response = await call({ authorization: `${scheme} root:${token}` });
      expect(response.statusCode, scheme).toBe(200);
    }
  });

  it("refuses a wrong token with 401 and never echoes it", async () => {
    t = await createTestApp();
    const token = await rootToken();
    const wrong = token.slice(0, -1) + (token.endsWith("A") ? "B" : "A");
    expect401(await call({ authorization: `whm root:${wrong}` }), wrong);
    expect401(await call({ authorization: "whm root:NOTAREALTOKENATALLXXXXXXXXXXXXXXX" }), "NOTAREALTOKENATALLXXXXXXXXXXXXXXX");
    expect401(await call({ authorization: `whm nosuchuser:${token}` }), token);
  });

  it("refuses another account's token", async () => {
    t = await createTestApp();
    await createReseller("res");
    const token = await rootToken();
    expect401(await call({ authorization: `whm res:${token}` }), token);
  });

  it("also works on POST with a form body, as cPanel::PublicAPI sends it", async () => {
    t = await createTestApp();
    const token = await rootToken();
    const response = await t.app.inject({
      method: "POST",
      url: "/json-api/listaccts",
      headers: { authorization: `whm root:${token}` },
      payload: "api.version=1",
    });
    expect(response.statusCode).toBe(200);
    expect(response.json().metadata).toMatchObject({ command: "listaccts", result: 1 });
  });
});

describe("malformed Authorization headers: 401, never 500", () => {
  it.each([
    ["whm root:", "an empty secret"],
    ["whm :secret", "an empty user"],
    ["whm root", "no colon"],
    ["whm", "no credentials at all"],
    ["whm   ", "only spaces"],
    ["whm Bad!User:secret", "an invalid user name"],
    [`whm ${"a".repeat(5000)}:secret`, "a huge user name"],
    [`whm root:${"x".repeat(20000)}`, "a huge secret"],
    ["Negotiate abcdef", "an unknown scheme"],
    ["Digest username=root", "Digest"],
    ["Bearer", "a Bearer without a value"],
    ["cpanel root:ABCDEF", "the cpanel scheme"],
    ["Basic", "Basic without credentials"],
    ["Basic !!!not-base64!!!", "bad base64"],
    ["Basic cm9vdA=====", "bad base64 padding"],
    [`Basic ${b64("no-colon-here")}`, "Basic without a colon"],
    [`Basic ${b64(":password")}`, "Basic with an empty user"],
    [`Basic ${b64("root:")}`, "Basic with an empty password"],
    [`Basic ${Buffer.from([0xff, 0xfe, 0x3a, 0x80]).toString("base64")}`, "Basic with invalid UTF-8"],
    ["root:password", "no scheme"],
    ["🙂 root:x", "a non-ASCII scheme"],
  ])("%j (%s) → 401", async (header) => {
    t = await createTestApp();
    const response = await call({ authorization: header });
    expect(response.statusCode, response.body).toBe(401);
    const body = response.json();
    expect(body.metadata.result).toBe(0);
    expect(body.metadata.reason.length).toBeGreaterThan(10);
    expect(response.body).not.toContain("x".repeat(100));
  });
});

describe("control characters in header-derived values (CVE-2026-41940): 400 in the WHM envelope", () => {
  function expect400(response: LightMyRequestResponse): void {
    expect(response.statusCode, response.body).toBe(400);
    const body = response.json();
    expect(body.metadata.result).toBe(0);
    expect(body.metadata.version).toBe(1);
    expect(body.metadata.reason).toMatch(/control character/i);
    expect(response.cookies.find((c) => c.name === "whostmgrsession")).toBeUndefined();
  }

  it.each([
    ["CR LF", "\r\n"],
    ["LF", "\n"],
    ["CR", "\r"],
    ["NUL", "\u0000"],
    ["SOH", "\u0001"],
    ["ESC", "\u001b"],
    ["DEL", "\u007f"],
  ])("refuses %s in an Authorization header", async (_name, character) => {
    t = await createTestApp();
    const token = await rootToken();
    expect400(await call({ authorization: `whm root:${token}${character}tfa_verified=1` }));
    expect400(await call({ authorization: `Basic ${b64(`root:${ROOT_PASSWORD}`)}${character}x` }));
  });

  it("refuses CR/LF smuggled inside base64 Basic credentials, even with the right password", async () => {
    t = await createTestApp();
    expect400(await call({ authorization: `Basic ${b64(`root:${ROOT_PASSWORD}\r\ntfa_verified=1`)}` }));
    expect400(await call({ authorization: `Basic ${b64(`root\r\nhasroot=1:${ROOT_PASSWORD}`)}` }));
    expect400(await call({ authorization: `Basic ${b64(`root:${ROOT_PASSWORD}\u0000`)}` }));
  });

  it("refuses a tab inside the credentials", async () => {
    t = await createTestApp();
    expect400(await call({ authorization: `whm root:abc\tdef` }));
  });

  it("refuses control characters in the session cookie", async () => {
    t = await createTestApp();
    const { token, cookie } = sessionOf(await login("root", ROOT_PASSWORD));
    expect400(await call({ cookie: `whostmgrsession=${cookie}\r\ntfa_verified=1` }, `/${token}/json-api/version?api.version=1`));
    expect400(await call({ cookie: `whostmgrsession=${cookie}\u0001` }, `/${token}/json-api/version?api.version=1`));
    // Percent-encoded control characters decode inside the cookie parser; they are refused too.
    expect400(await call({ cookie: `whostmgrsession=${cookie}%0D%0Atfa_verified=1` }, `/${token}/json-api/version?api.version=1`));
  });

  it("refuses control characters in any other header", async () => {
    t = await createTestApp();
    expect400(await call({ authorization: `Basic ${b64(`root:${ROOT_PASSWORD}`)}`, "x-custom": "a\r\nb" }));
    expect400(await call({ authorization: `Basic ${b64(`root:${ROOT_PASSWORD}`)}`, "user-agent": "agent\u0000" }));
  });

  it("refuses a login whose user name carries control characters, and writes no session", async () => {
    t = await createTestApp();
    const response = await login(`root\r\ntfa_verified=1`, ROOT_PASSWORD);
    expect(response.statusCode).toBe(400);
    expect(response.headers.location).toBeUndefined();
    expect(response.cookies.find((c) => c.name === "whostmgrsession")).toBeUndefined();
    expect((await t.keyhold.audit.list({ limit: 100, action: "session.create" })).length).toBe(0);
  });
});

describe("session login (POST /login, /cpsess…/json-api)", () => {
  it("answers a redirect to /cpsess<10 digits>/ with a whostmgrsession cookie", async () => {
    t = await createTestApp();
    const response = await login("root", ROOT_PASSWORD);
    expect(response.statusCode).toBe(302);
    expect(response.headers.location).toMatch(/^\/cpsess\d{10}\//);
    const cookie = response.cookies.find((c) => c.name === "whostmgrsession");
    expect(cookie).toBeDefined();
    expect(cookie!.value.length).toBeGreaterThanOrEqual(32);
    expect(cookie!.httpOnly).toBe(true);
    expect(cookie!.path).toBe("/");
    // cPanel::PublicAPI takes the security token as the second `/`-separated part of Location.
    const securityToken = (response.headers.location as string).split("/")[1];
    expect(securityToken).toMatch(/^cpsess\d{10}$/);
    expect(response.body).not.toContain(ROOT_PASSWORD);
  });

  it("lets /cpsess…/json-api/<fn> run with the cookie, by GET and POST", async () => {
    t = await createTestApp();
    const { token, cookie } = sessionOf(await login("root", ROOT_PASSWORD));
    const get = await call({ cookie: `whostmgrsession=${cookie}` }, `/${token}/json-api/version?api.version=1`);
    expect(get.statusCode).toBe(200);
    expect(get.json().metadata).toMatchObject({ command: "version", result: 1 });

    const post = await t.app.inject({
      method: "POST",
      url: `/${token}/json-api/createacct`,
      headers: { cookie: `whostmgrsession=${cookie}` },
      payload: form({ "api.version": "1", username: "alice", password: "alice-password-1", domain: "alice.example.com" }),
    });
    expect(post.statusCode).toBe(200);
    expect(post.json().metadata).toMatchObject({ command: "createacct", result: 1, reason: "Account Creation Ok" });
  });

  it("works for a reseller with the reseller's privileges", async () => {
    t = await createTestApp();
    await createReseller("res");
    const { token, cookie } = sessionOf(await login("res", "res-password-1"));
    const privs = await call({ cookie: `whostmgrsession=${cookie}` }, `/${token}/json-api/myprivs?api.version=1`);
    expect(privs.statusCode).toBe(200);
    expect(privs.json().data.privileges[0].all).toBe(0);
    const denied = await call({ cookie: `whostmgrsession=${cookie}` }, `/${token}/json-api/listresellers?api.version=1`);
    expect(denied.statusCode).toBe(200);
    expect(denied.json().metadata.result).toBe(0);
  });

  it("refuses the cookie with a wrong cpsess token", async () => {
    t = await createTestApp();
    const { token, cookie } = sessionOf(await login("root", ROOT_PASSWORD));
    const digits = token.slice(6);
    const other = `cpsess${digits.split("").map((d) => String((Number(d) + 1) % 10)).join("")}`;
    expect401(await call({ cookie: `whostmgrsession=${cookie}` }, `/${other}/json-api/version?api.version=1`), cookie);
  });

  it("refuses a malformed security token", async () => {
    t = await createTestApp();
    const { cookie } = sessionOf(await login("root", ROOT_PASSWORD));
    for (const prefix of ["/cpsess123", "/cpsessabcdefghij", "/notcpsess0123456789"]) {
      const response = await call({ cookie: `whostmgrsession=${cookie}` }, `${prefix}/json-api/version?api.version=1`);
      expect([401, 404], prefix).toContain(response.statusCode);
      expect(response.json().metadata.result).toBe(0);
    }
  });

  it("refuses the cookie alone, without the cpsess prefix", async () => {
    t = await createTestApp();
    const { cookie } = sessionOf(await login("root", ROOT_PASSWORD));
    expect401(await call({ cookie: `whostmgrsession=${cookie}` }, "/json-api/version?api.version=1"), cookie);
  });

  it("refuses the cpsess prefix with a wrong or missing cookie", async () => {
    t = await createTestApp();
    const { token, cookie } = sessionOf(await login("root", ROOT_PASSWORD));
    const url = `/${token}/json-api/version?api.version=1`;
    expect401(await call({ cookie: `whostmgrsession=${cookie}x` }, url));
    expect401(await call({ cookie: "whostmgrsession=" }, url));
    expect401(await call({}, url));
  });

  it("refuses the cpsess prefix of one session with the cookie of another", async () => {
    t = await createTestApp();
    const first = sessionOf(await login("root", ROOT_PASSWORD));
    const second = sessionOf(await login("root", ROOT_PASSWORD));
    expect(first.cookie).not.toBe(second.cookie);
    expect401(await call({ cookie: `whostmgrsession=${first.cookie}` }, `/${second.token}/json-api/version?api.version=1`));
    expect((await call({ cookie: `whostmgrsession=${second.cookie}` }, `/${second.token}/json-api/version?api.version=1`)).statusCode).toBe(200);
  });

  it("login_only=1 answers JSON with the security token instead of a redirect", async () => {
    t = await createTestApp();
    const response = await login("root", ROOT_PASSWORD, "?login_only=1");
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body.status).toBe(1);
    expect(body.security_token).toMatch(/^\/cpsess\d{10}$/);
    const cookie = response.cookies.find((c) => c.name === "whostmgrsession")!.value;
    const works = await call({ cookie: `whostmgrsession=${cookie}` }, `${body.security_token}/json-api/version?api.version=1`);
    expect(works.statusCode).toBe(200);
  });

  it("a wrong password is 401 with no session and no echo of the password", async () => {
    t = await createTestApp();
    const response = await login("root", "Wrong-Secret-123");
    expect(response.statusCode).toBe(401);
    expect(response.headers.location).toBeUndefined();
    expect(response.cookies.find((c) => c.name === "whostmgrsession")).toBeUndefined();
    expect(response.body).not.toContain("Wrong-Secret-123");
    expect(response.json().status).toBe(0);
    const unknown = await login("nosuchuser", "Wrong-Secret-123");
    expect(unknown.statusCode).toBe(401);
    expect(unknown.json()).toEqual(response.json());
  });

  it("a login without user or pass is refused without a session", async () => {
    t = await createTestApp();
    for (const payload of ["", "user=root", `pass=${ROOT_PASSWORD}`, "user=&pass="]) {
      const response = await t.app.inject({ method: "POST", url: "/login", headers: FORM, payload });
      expect(response.statusCode, payload).toBeGreaterThanOrEqual(400);
      expect(response.statusCode, payload).toBeLessThan(500);
      expect(response.cookies.find((c) => c.name === "whostmgrsession")).toBeUndefined();
    }
  });

  it("a plain (non-reseller) account gets no WHM session", async () => {
    t = await createTestApp();
    expect((await t.whm("createacct", { username: "plain", password: "plain-password-1", domain: "plain.example.com" })).body.metadata.result).toBe(1);
    const response = await login("plain", "plain-password-1");
    expect(response.statusCode).toBe(403);
    expect(response.headers.location).toBeUndefined();
    expect(response.cookies.find((c) => c.name === "whostmgrsession")).toBeUndefined();
  });

  it("/logout ends the session", async () => {
    t = await createTestApp();
    const { token, cookie } = sessionOf(await login("root", ROOT_PASSWORD));
    const url = `/${token}/json-api/version?api.version=1`;
    expect((await call({ cookie: `whostmgrsession=${cookie}` }, url)).statusCode).toBe(200);
    const logout = await t.app.inject({ method: "GET", url: "/logout", headers: { cookie: `whostmgrsession=${cookie}` } });
    expect(logout.statusCode).toBeLessThan(400);
    expect401(await call({ cookie: `whostmgrsession=${cookie}` }, url));
  });

  it("a session expires after its lifetime", async () => {
    t = await createTestApp();
    const { token, cookie } = sessionOf(await login("root", ROOT_PASSWORD));
    const url = `/${token}/json-api/version?api.version=1`;
    t.clock.advance(23 * 60 * 60_000);
    expect((await call({ cookie: `whostmgrsession=${cookie}` }, url)).statusCode).toBe(200);
    t.clock.advance(60 * 60_000 + 1000);
    expect401(await call({ cookie: `whostmgrsession=${cookie}` }, url));
  });

  it("a password change does not leave the old password working", async () => {
    t = await createTestApp();
    await createReseller("res");
    expect((await t.whm("version", {}, { basic: ["res", "res-password-1"] })).status).toBe(200);
    expect((await t.whm("passwd", { user: "res", password: "new-password-22" })).body.metadata.result).toBe(1);
    expect((await t.whm("version", {}, { basic: ["res", "res-password-1"] })).status).toBe(401);
    expect((await t.whm("version", {}, { basic: ["res", "new-password-22"] })).status).toBe(200);
  });
});

describe("an Authorization header takes precedence over a session cookie", () => {
  it("a wrong Authorization header is not rescued by a valid session", async () => {
    t = await createTestApp();
    const { token, cookie } = sessionOf(await login("root", ROOT_PASSWORD));
    const response = await call(
      { cookie: `whostmgrsession=${cookie}`, authorization: `Basic ${b64("root:Wrong-Secret-123")}` },
      `/${token}/json-api/version?api.version=1`,
    );
    expect401(response, "Wrong-Secret-123");
  });
});

describe("requests another site started (Sec-Fetch-Site)", () => {
  const basicRoot = { authorization: `Basic ${b64(`root:${ROOT_PASSWORD}`)}` };

  it("do not run on credentials the browser adds by itself: cached Basic, a session or the access_hash cookie", async () => {
    t = await createTestApp();
    for (const site of ["cross-site", "same-site"]) {
      const whm = await t.app.inject({ method: "GET", url: "/json-api/passwd?api.version=1&user=root&password=forged-pass-1", headers: { ...basicRoot, "sec-fetch-site": site } });
      expect(whm.json().metadata.result, site).toBe(0);
      expect(whm.json().metadata.reason).toMatch(/another site/);
      const rest = await t.app.inject({ method: "GET", url: "/api/v1/system/status", headers: { ...basicRoot, "sec-fetch-site": site } });
      expect(rest.statusCode, site).toBe(403);
    }
    // The password is unchanged.
    expect((await t.whm("version")).status).toBe(200);

    const created = await t.app.inject({ method: "POST", url: "/api/v1/access_hashes", headers: { ...basicRoot, "content-type": "application/json" }, payload: JSON.stringify({ name: "browser", ip: "127.0.0.1" }) });
    const hash = created.json().msg.access_hash as string;
    const viaCookie = await t.app.inject({ method: "GET", url: "/api/v1/system/status", cookies: { access_hash: hash }, headers: { "sec-fetch-site": "cross-site" } });
    expect(viaCookie.statusCode).toBe(403);
    const viaBearer = await t.app.inject({ method: "GET", url: "/api/v1/system/status", headers: { authorization: `Bearer ${hash}`, "sec-fetch-site": "cross-site" } });
    expect(viaBearer.statusCode).toBe(200);
  });

  it("still run with a token in the Authorization header, which no other site can make a browser send", async () => {
    t = await createTestApp();
    const token = await rootToken();
    const response = await t.app.inject({ method: "GET", url: "/json-api/version?api.version=1", headers: { authorization: `whm root:${token}`, "sec-fetch-site": "cross-site" } });
    expect(response.json().metadata.result).toBe(1);
    for (const site of ["same-origin", "none"]) {
      const own = await t.app.inject({ method: "GET", url: "/json-api/version?api.version=1", headers: { ...basicRoot, "sec-fetch-site": site } });
      expect(own.json().metadata.result, site).toBe(1);
    }
  });
});
