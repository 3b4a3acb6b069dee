import type { LightMyRequestResponse } from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import { ROOT, ROOT_PASSWORD, authorization, createTestApp, type TestApp } from "../harness.js";
import { restCaller } from "../rest-harness.js";

// A shared cache (a proxy, the browser's disk cache) must never keep an answer carrying a secret.

let t: TestApp;
const call = restCaller(() => t);
afterEach(async () => {
  await t?.close();
});

function expectNoStore(response: LightMyRequestResponse, label: string): void {
  expect(response.headers["cache-control"], `${label}: ${response.statusCode} ${response.body.slice(0, 200)}`).toBe("no-store");
}

describe("Cache-Control: no-store on every answer that may carry a secret", () => {
  it("WHM: api_token_create, accesshash read and generate, and their failures", async () => {
    t = await createTestApp({ settings: { allow_deprecated_accesshash: "1" } });
    const created = await t.whm("api_token_create", { token_name: "cached" });
    expect(created.body.data.token).toMatch(/^[0-9A-Z]{32}$/);
    expectNoStore(created.response, "api_token_create");
    const generated = await t.whm("accesshash", { generate: "1" });
    expect(generated.body.data.accesshash).toMatch(/^[0-9a-f]+$/);
    expectNoStore(generated.response, "accesshash generate");
    expectNoStore((await t.whm("accesshash")).response, "accesshash read");
    expectNoStore((await t.whm("listaccts", {}, null)).response, "401");
    expectNoStore((await t.whm("no_such_function")).response, "unknown function");
  });

  it("logins that hand out a session: /login (JSON and redirect) and POST /api/v1/session", async () => {
    t = await createTestApp();
    const payload = `user=root&pass=${encodeURIComponent(ROOT_PASSWORD)}`;
    const headers = { "content-type": "application/x-www-form-urlencoded" };
    const json = await t.app.inject({ method: "POST", url: "/login?login_only=1", headers, payload });
    expect(json.json().security_token).toMatch(/^\/cpsess\d{10}$/);
    expectNoStore(json, "/login?login_only=1");
    const redirect = await t.app.inject({ method: "POST", url: "/login", headers, payload });
    expect(redirect.statusCode).toBe(302);
    expectNoStore(redirect, "/login");
    const session = await call("POST", "/api/v1/session", { payload: { user: "root", pass: ROOT_PASSWORD } });
    expect(session.statusCode).toBe(201);
    expectNoStore(session, "POST /api/v1/session");
  });

  it("REST: tokens, IP-bound hashes, the Remote Access Key and its conversion", async () => {
    t = await createTestApp({ settings: { allow_deprecated_accesshash: "1" } });
    const answers: Array<[string, LightMyRequestResponse]> = [
      ["POST /tokens", await call("POST", "/api/v1/tokens", { auth: ROOT, payload: { name: "cached" } })],
      ["POST /access_hashes", await call("POST", "/api/v1/access_hashes", { auth: ROOT, payload: { name: "cached", ip: "127.0.0.1" } })],
      ["POST /accounts/root/accesshash", await call("POST", "/api/v1/accounts/root/accesshash", { auth: ROOT })],
      ["GET /accounts/root/accesshash", await call("GET", "/api/v1/accounts/root/accesshash", { auth: ROOT })],
      ["POST /accounts/root/accesshash/convert", await call("POST", "/api/v1/accounts/root/accesshash/convert", { auth: ROOT })],
      ["GET /tokens", await call("GET", "/api/v1/tokens", { auth: ROOT })],
      ["401", await call("GET", "/api/v1/tokens")],
    ];
    for (const [label, response] of answers) {
      expect(response.statusCode, `${label}: ${response.body}`).toBeLessThan(500);
      expectNoStore(response, label);
    }
    expect(answers[0]![1].statusCode).toBe(201);
    expect(answers[1]![1].statusCode).toBe(201);
  });

  it("the page's own static files keep their caching (they hold no secret)", async () => {
    t = await createTestApp();
    const health = await t.app.inject({ method: "GET", url: "/healthz", headers: authorization(ROOT) });
    expect(health.headers["cache-control"]).toBeUndefined();
  });
});
