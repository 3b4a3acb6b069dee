import type { LightMyRequestResponse } from "fastify";
import { afterEach, describe, expect, it, vi } from "vitest";
import { KyselyStore } from "../src/store/kysely-store.js";
import { CLI_ACTOR } from "../src/core/actor.js";
import { ROOT, accountCount, authorization, createTestApp, form, type Auth, type TestApp } from "./harness.js";

// Malformed requests get a clear error in the WHM envelope and the right status: never a 500,
// a crash, or a half-written record (issue 2, "Bad input").

let t: TestApp;
afterEach(async () => {
  vi.restoreAllMocks();
  await t?.close();
});

const AUTH = authorization(ROOT);

/** The WHM envelope with result 0 and a reason a person can read. */
function expectWhmError(response: LightMyRequestResponse, status: number): any {
  expect(response.statusCode, response.body).toBe(status);
  expect(response.headers["content-type"]).toMatch(/application\/json/);
  const body = response.json();
  expect(body).toHaveProperty("data");
  expect(body.metadata.result).toBe(0);
  expect(body.metadata.version).toBe(1);
  expect(typeof body.metadata.reason).toBe("string");
  expect(body.metadata.reason.length).toBeGreaterThan(10);
  return body;
}

function expectNo500(response: LightMyRequestResponse, label: string): void {
  expect(response.statusCode, `${label}: ${response.body}`).toBeLessThan(500);
  expect(() => response.json(), `${label}: body is JSON`).not.toThrow();
}

async function auditCount(action: string): Promise<number> {
  return (await t.keyhold.audit.list({ limit: 1000, action })).length;
}

const CREATE = { "api.version": "1", username: "alice", password: "alice-password-1", domain: "alice.example.com" };

describe("body size", () => {
  it("a body over the limit is 413 in the WHM envelope, and creates nothing", async () => {
    t = await createTestApp({ http: { bodyLimit: 1024 } });
    const before = await accountCount(t);
    const response = await t.app.inject({
      method: "POST",
      url: "/json-api/createacct",
      headers: { "content-type": "application/x-www-form-urlencoded", ...AUTH },
      payload: form({ ...CREATE, padding: "x".repeat(2000) }),
    });
    const body = expectWhmError(response, 413);
    expect(body.metadata.reason).toMatch(/too large/i);
    expect(body.metadata.command).toBe("createacct");
    expect(await accountCount(t)).toBe(before);
  });

  it("a JSON body, an untyped body and a login over the limit are 413 too", async () => {
    t = await createTestApp({ http: { bodyLimit: 1024 } });
    expectWhmError(
      await t.app.inject({ method: "POST", url: "/json-api/version", headers: { "content-type": "application/json", ...AUTH }, payload: JSON.stringify({ x: "y".repeat(2000) }) }),
      413,
    );
    expectWhmError(await t.app.inject({ method: "POST", url: "/json-api/version", headers: AUTH, payload: Buffer.from("a=".concat("b".repeat(2000))) }), 413);
    const login = await t.app.inject({ method: "POST", url: "/login", headers: { "content-type": "application/x-www-form-urlencoded" }, payload: `user=root&pass=${"p".repeat(2000)}` });
    expectWhmError(login, 413);
  });

  it("a body just under the limit is served", async () => {
    t = await createTestApp({ http: { bodyLimit: 1024 } });
    const payload = form({ ...CREATE, padding: "x".repeat(600) });
    expect(payload.length).toBeLessThan(1024);
    const response = await t.app.inject({ method: "POST", url: "/json-api/createacct", headers: { "content-type": "application/x-www-form-urlencoded", ...AUTH }, payload });
    expect(response.statusCode).toBe(200);
    expect(response.json().metadata.result).toBe(1);
  });
});

describe("malformed bodies", () => {
  it("malformed JSON is 400 in the WHM envelope", async () => {
    t = await createTestApp();
    for (const payload of ['{"username": "alice",', "{'single': 'quotes'}", "not json at all", '{"a":1}}']) {
      const response = await t.app.inject({ method: "POST", url: "/json-api/createacct", headers: { "content-type": "application/json", ...AUTH }, payload });
      const body = expectWhmError(response, 400);
      expect(body.metadata.reason, payload).toMatch(/JSON/);
      expect(body.metadata.command).toBe("createacct");
    }
    expect(await t.store.getAccountByUsername("alice")).toBeNull();
  });

  it("an empty body typed as JSON is 400", async () => {
    t = await createTestApp();
    const response = await t.app.inject({ method: "POST", url: "/json-api/version", headers: { "content-type": "application/json", ...AUTH }, payload: "" });
    expectWhmError(response, 400);
  });

  it("JSON with __proto__ or constructor.prototype is refused, not merged", async () => {
    t = await createTestApp();
    for (const payload of ['{"__proto__": {"polluted": 1}, "username": "alice"}', '{"constructor": {"prototype": {"polluted": 1}}}']) {
      const response = await t.app.inject({ method: "POST", url: "/json-api/createacct", headers: { "content-type": "application/json", ...AUTH }, payload });
      expectNo500(response, payload);
      expect(response.json().metadata.result).toBe(0);
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("JSON that is not an object, or has values of the wrong type, is refused cleanly", async () => {
    t = await createTestApp();
    for (const payload of [
      "[1, 2, 3]",
      "null",
      "42",
      '"a string"',
      "true",
      '{"username": {"nested": "object"}, "password": ["a"], "domain": null}',
      '{"username": ["alice", "bob"], "password": 12345678, "domain": false}',
      `${"[".repeat(5000)}${"]".repeat(5000)}`,
      `{"a": ${"[".repeat(5000)}{"__proto__": 1}${"]".repeat(5000)}}`,
    ]) {
      const response = await t.app.inject({ method: "POST", url: "/json-api/createacct", headers: { "content-type": "application/json", ...AUTH }, payload });
      expectNo500(response, payload.slice(0, 60));
      expect(response.json().metadata.result, payload.slice(0, 60)).toBe(0);
    }
    expect(await accountCount(t)).toBe(1);
  });

  it("bad percent-encoding in a form body is 400 in the WHM envelope", async () => {
    t = await createTestApp();
    const response = await t.app.inject({
      method: "POST",
      url: "/json-api/createacct",
      headers: { "content-type": "application/x-www-form-urlencoded", ...AUTH },
      payload: "api.version=1&username=al%zzice&password=alice-password-1&domain=alice.example.com",
    });
    const body = expectWhmError(response, 400);
    expect(body.metadata.reason).toMatch(/percent-encoding|form/i);
    expect(await accountCount(t)).toBe(1);
  });

  it("odd but well-formed forms are answered, never with a 500", async () => {
    t = await createTestApp();
    for (const payload of [
      "",
      "&&&",
      "=",
      "==&=x",
      "__proto__=1&constructor=2&toString=3",
      "username=a&username=b&username=c",
      "api.version=1&user%00name=x",
      "a=%F0%9F%99%82",
      "a=%C3%28",
      "x".repeat(10_000),
    ]) {
      const response = await t.app.inject({ method: "POST", url: "/json-api/createacct", headers: { "content-type": "application/x-www-form-urlencoded", ...AUTH }, payload });
      expectNo500(response, payload.slice(0, 40));
      expect(response.json().metadata.result, payload.slice(0, 40)).toBe(0);
    }
  });

  it("other content types are read as forms, as cPanel::PublicAPI's untyped posts are", async () => {
    t = await createTestApp();
    for (const type of ["text/plain", "application/octet-stream", "multipart/form-data; boundary=x", "application/xml"]) {
      const response = await t.app.inject({ method: "POST", url: "/json-api/version", headers: { "content-type": type, ...AUTH }, payload: "api.version=1" });
      expectNo500(response, type);
      expect(response.json().metadata.result, type).toBe(1);
    }
  });

  it("hostile parameter values are refused with a reason, and nothing is created", async () => {
    t = await createTestApp();
    const cases: Array<Record<string, string>> = [
      { username: "al\u0000ice", password: "alice-password-1", domain: "alice.example.com" },
      { username: "alice\r\nroot", password: "alice-password-1", domain: "alice.example.com" },
      { username: "ålice", password: "alice-password-1", domain: "alice.example.com" },
      { username: "a".repeat(10_000), password: "alice-password-1", domain: "alice.example.com" },
      { username: "alice", password: "alice-password-1", domain: `${"a".repeat(10_000)}.com` },
      { username: "alice", password: "alice-password-1", domain: "alice.example.com\r\nX: y" },
      { username: "alice", password: "alice-password-1", domain: "../../etc/passwd" },
      { username: "alice", password: "p".repeat(5000), domain: "alice.example.com" },
      { username: "alice", password: "alice-password-1\u0000", domain: "alice.example.com" },
    ];
    for (const params of cases) {
      const result = await t.whm("createacct", params);
      expect(result.status, JSON.stringify(params).slice(0, 80)).toBe(200);
      expect(result.body.metadata.result).toBe(0);
      expect(result.body.metadata.reason).not.toMatch(/[\u0000-\u001f]/);
      expect(result.body.metadata.reason.length).toBeLessThan(500);
    }
    expect(await accountCount(t)).toBe(1);
    expect(await auditCount("account.create")).toBe(1);
  });
});

describe("paths and methods", () => {
  it("an unknown path is 404 in the WHM envelope", async () => {
    t = await createTestApp();
    for (const url of ["/no/such/path", "/json-api", "/xml-api/version", "/cpsess0123456789/", "/scripts/setrhash"]) {
      const response = await t.app.inject({ method: "GET", url, headers: AUTH });
      const body = expectWhmError(response, 404);
      expect(body.metadata.reason, url).toMatch(/No such/);
    }
  });

  it("the 404 reason echoes the path capped", async () => {
    t = await createTestApp();
    const response = await t.app.inject({ method: "GET", url: `/a/${"x".repeat(5000)}`, headers: AUTH });
    const body = expectWhmError(response, 404);
    expect(body.metadata.reason.length).toBeLessThan(400);
  });

  it("a path the router cannot take (bad percent-encoding, an over-long part) is 400 in the WHM envelope", async () => {
    t = await createTestApp();
    for (const url of ["/json-api/%zz", "/json-api/ver%E0sion", `/${"x".repeat(5000)}`, `/json-api/${"f".repeat(5000)}`, `/cpsess0123456789/json-api/${"f".repeat(500)}`]) {
      const response = await t.app.inject({ method: "GET", url, headers: AUTH });
      const body = expectWhmError(response, 400);
      expect(body.metadata.reason, url.slice(0, 40)).toMatch(/request path is not valid/);
      expect(response.body.length, url.slice(0, 40)).toBeLessThan(500);
    }
  });

  it("a 401 for a long function name echoes the name capped", async () => {
    t = await createTestApp();
    const response = await t.app.inject({ method: "GET", url: `/json-api/${"f".repeat(90)}` });
    const body = expectWhmError(response, 401);
    expect(body.metadata.command.length).toBeLessThanOrEqual(65);
  });

  it("odd paths and methods never answer 500", async () => {
    t = await createTestApp();
    const requests: Array<{ method: "GET" | "POST" | "PUT" | "DELETE" | "PATCH" | "OPTIONS" | "HEAD"; url: string }> = [
      { method: "PUT", url: "/json-api/version" },
      { method: "DELETE", url: "/json-api/version" },
      { method: "PATCH", url: "/json-api/version" },
      { method: "OPTIONS", url: "/json-api/version" },
      { method: "GET", url: "/json-api/" },
      { method: "POST", url: "/json-api/" },
      { method: "GET", url: "/json-api/..%2F..%2Fetc%2Fpasswd" },
      { method: "GET", url: "/json-api/version?api.version=1&%zz=%zz" },
      { method: "GET", url: "/json-api/version?__proto__[polluted]=1&constructor[prototype][x]=1" },
      { method: "GET", url: "/json-api/version?api.version=1&api.version=2" },
      { method: "GET", url: `/json-api/version?${"a=b&".repeat(2000)}` },
      { method: "GET", url: "/cpsess0123456789/json-api/version" },
      { method: "GET", url: "/cpsess%0d%0a/json-api/version" },
      { method: "GET", url: "/login" },
      { method: "POST", url: "/logout" },
    ];
    for (const request of requests) {
      const response = await t.app.inject({ ...request, headers: AUTH });
      expect(response.statusCode, `${request.method} ${request.url.slice(0, 60)}: ${response.body.slice(0, 200)}`).toBeLessThan(500);
      if (request.method !== "HEAD" && response.body !== "") expect(() => response.json(), `${request.method} ${request.url.slice(0, 60)}`).not.toThrow();
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("login with values of the wrong type is refused, not crashed", async () => {
    t = await createTestApp();
    for (const payload of ['{"user": ["root"], "pass": {"a": 1}}', '{"user": null, "pass": 5}', "[]", "null"]) {
      const response = await t.app.inject({ method: "POST", url: "/login", headers: { "content-type": "application/json" }, payload });
      expectNo500(response, payload);
      expect(response.statusCode, payload).toBeGreaterThanOrEqual(400);
      expect(response.headers.location).toBeUndefined();
    }
    const malformed = await t.app.inject({ method: "POST", url: "/login", headers: { "content-type": "application/json" }, payload: "{nope" });
    expectWhmError(malformed, 400);
  });
});

describe("no half-written records", () => {
  it("a duplicate createacct leaves the count and the audit log unchanged", async () => {
    t = await createTestApp();
    expect((await t.whm("createacct", CREATE)).body.metadata.result).toBe(1);
    const accounts = await accountCount(t);
    const created = await auditCount("account.create");
    for (let i = 0; i < 3; i++) {
      const duplicate = await t.whm("createacct", { ...CREATE, domain: `other${i}.example.com` });
      expect(duplicate.body.metadata.result).toBe(0);
    }
    const domainClash = await t.whm("createacct", { ...CREATE, username: "bob" });
    expect(domainClash.body.metadata.result).toBe(0);
    expect(await accountCount(t)).toBe(accounts);
    expect(await auditCount("account.create")).toBe(created);
    expect(await t.store.getAccountByUsername("bob")).toBeNull();
  });

  // A token, not root's password: concurrent password checks from one address are limited on purpose.
  async function rootToken(): Promise<Auth> {
    const created = await t.keyhold.tokens.create(CLI_ACTOR, "root", { name: "concurrency" });
    return { whm: ["root", created.token] };
  }

  it("concurrent createacct calls for one username create exactly one account", async () => {
    t = await createTestApp();
    const auth = await rootToken();
    const before = await accountCount(t);
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) => t.whm("createacct", { ...CREATE, domain: `alice${i}.example.com` }, auth)),
    );
    for (const result of results) expect(result.status).toBe(200);
    expect(results.filter((result) => result.body.metadata.result === 1)).toHaveLength(1);
    expect(await accountCount(t)).toBe(before + 1);
    expect(await auditCount("account.create")).toBe(before + 1);
  });

  it("concurrent createacct calls for one domain create exactly one account", async () => {
    t = await createTestApp();
    const auth = await rootToken();
    const before = await accountCount(t);
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) => t.whm("createacct", { ...CREATE, username: `user${i}` }, auth)),
    );
    for (const result of results) expect(result.status).toBe(200);
    expect(results.filter((result) => result.body.metadata.result === 1)).toHaveLength(1);
    expect(await accountCount(t)).toBe(before + 1);
  });

  it("a store failure in the middle of createacct rolls the whole change back", async () => {
    t = await createTestApp();
    const original = KyselyStore.prototype.appendAudit;
    vi.spyOn(KyselyStore.prototype, "appendAudit").mockImplementation(async function (this: KyselyStore, entry) {
      if (entry.action === "account.create") throw new Error("simulated disk failure");
      return original.call(this, entry);
    });
    const before = await accountCount(t);
    const result = await t.whm("createacct", CREATE);
    // A fault of the server's own, not of the request: 500, still in the envelope, no detail leaked.
    expect(result.status).toBe(500);
    expect(result.body.metadata.result).toBe(0);
    expect(result.response.body).not.toContain("simulated disk failure");
    expect(await accountCount(t)).toBe(before);
    expect(await t.store.getAccountByUsername("alice")).toBeNull();

    vi.restoreAllMocks();
    expect((await t.whm("createacct", CREATE)).body.metadata.result).toBe(1);
  });

  it("a store failure in the middle of removeacct leaves the account and its credentials in place", async () => {
    t = await createTestApp();
    expect((await t.whm("createacct", { ...CREATE, reseller: "1" })).body.metadata.result).toBe(1);
    const token = await t.whm("api_token_create", { token_name: "keep" }, { basic: ["alice", "alice-password-1"] });
    const plaintext = token.body.data.token as string;
    const original = KyselyStore.prototype.appendAudit;
    vi.spyOn(KyselyStore.prototype, "appendAudit").mockImplementation(async function (this: KyselyStore, entry) {
      if (entry.action === "account.remove") throw new Error("simulated disk failure");
      return original.call(this, entry);
    });
    const result = await t.whm("removeacct", { user: "alice" });
    expect(result.status).toBe(500);
    vi.restoreAllMocks();
    const alice = await t.store.getAccountByUsername("alice");
    expect(alice).not.toBeNull();
    expect(await t.store.listApiTokens(alice!.id)).toHaveLength(1);
    expect((await t.whm("version", {}, { whm: ["alice", plaintext] })).status).toBe(200);
  });

  it("refused calls write no audit entries and change no records", async () => {
    t = await createTestApp({ settings: { allow_deprecated_accesshash: "1" } });
    const rootId = (await t.store.getAccountByUsername("root"))!.id;
    const auditBefore = (await t.keyhold.audit.list({ limit: 1000 })).length;

    expect((await t.whm("set_tweaksetting", { key: "max_failures_byip", value: "zero" })).body.metadata.result).toBe(0);
    expect((await t.whm("accesshash", { generate: "1" }, ROOT, "203.0.113.7")).body.metadata.result).toBe(0);
    expect((await t.whm("setacls", { reseller: "root", "acl-bogus": "1" })).body.metadata.result).toBe(0);
    expect((await t.whm("removeacct", { user: "root" })).body.metadata.result).toBe(0);
    expect((await t.whm("suspendacct", { user: "root" })).body.metadata.result).toBe(0);

    expect((await t.keyhold.audit.list({ limit: 1000 })).length).toBe(auditBefore);
    expect(await t.store.getAccessHash(rootId)).toBeNull();
    expect(t.keyhold.settings.get().max_failures_byip).toBe(5);
    expect((await t.store.getAccountByUsername("root"))?.suspended).toBe(false);
  });

  it("a request cut off by the body limit or a parse error writes nothing", async () => {
    t = await createTestApp({ http: { bodyLimit: 1024 } });
    const auditBefore = (await t.keyhold.audit.list({ limit: 1000 })).length;
    await t.app.inject({ method: "POST", url: "/json-api/createacct", headers: { "content-type": "application/json", ...AUTH }, payload: JSON.stringify({ ...CREATE, pad: "x".repeat(2000) }) });
    await t.app.inject({ method: "POST", url: "/json-api/createacct", headers: { "content-type": "application/json", ...AUTH }, payload: `${JSON.stringify(CREATE).slice(0, -1)},` });
    expect(await t.store.getAccountByUsername("alice")).toBeNull();
    expect((await t.keyhold.audit.list({ limit: 1000 })).length).toBe(auditBefore);
  });
});
