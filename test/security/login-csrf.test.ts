import { afterEach, describe, expect, it } from "vitest";
import { ROOT_PASSWORD, createTestApp, type TestApp } from "../harness.js";

// Login CSRF: a page on another site posts the attacker's credentials to Keyhold's login from the
// victim's browser, so the victim works, unknowingly, in the attacker's session.

let t: TestApp;
afterEach(async () => {
  await t?.close();
});

const HOST = "keyhold.example.com:2087";

function whmLogin(headers: Record<string, string>) {
  return t.app.inject({
    method: "POST",
    url: "/login?login_only=1",
    headers: { host: HOST, "content-type": "application/x-www-form-urlencoded", ...headers },
    payload: `user=root&pass=${encodeURIComponent(ROOT_PASSWORD)}`,
  });
}

function restLogin(headers: Record<string, string>) {
  return t.app.inject({
    method: "POST",
    url: "/api/v1/session",
    headers: { host: HOST, "content-type": "application/json", ...headers },
    payload: JSON.stringify({ user: "root", pass: ROOT_PASSWORD }),
  });
}

const CROSS: Array<[string, Record<string, string>]> = [
  ["Sec-Fetch-Site: cross-site", { "sec-fetch-site": "cross-site" }],
  ["Sec-Fetch-Site: same-site (a sibling subdomain)", { "sec-fetch-site": "same-site" }],
  ["an Origin of another host", { origin: "https://evil.example.net" }],
  ["an Origin of the same name on another port", { origin: "https://keyhold.example.com:8443" }],
  ["Origin: null (a sandboxed frame)", { origin: "null" }],
  ["a same-origin Sec-Fetch-Site but a foreign Origin", { "sec-fetch-site": "same-origin", origin: "https://evil.example.net" }],
];

describe("cross-site login posts are refused, and log nobody in", () => {
  for (const [name, headers] of CROSS) {
    it(`POST /login with ${name}: 403, no session cookie`, async () => {
      t = await createTestApp();
      const response = await whmLogin(headers);
      expect(response.statusCode).toBe(403);
      expect(response.json()).toMatchObject({ status: 0, message: "cross_site" });
      expect(response.headers["set-cookie"]).toBeUndefined();
    });

    it(`POST /api/v1/session with ${name}: 403 in PUQ's envelope, no session cookie`, async () => {
      t = await createTestApp();
      const response = await restLogin(headers);
      expect(response.statusCode).toBe(403);
      expect(response.json()).toMatchObject({ status: "error", msg: "" });
      expect(response.headers["set-cookie"]).toBeUndefined();
    });
  }
});

describe("logins that are not cross-site still work", () => {
  const SAME: Array<[string, Record<string, string>]> = [
    ["neither header (cPanel::PublicAPI, curl)", {}],
    ["Sec-Fetch-Site: same-origin and its own Origin", { "sec-fetch-site": "same-origin", origin: `https://${HOST}` }],
    ["Sec-Fetch-Site: none (typed by the user)", { "sec-fetch-site": "none" }],
  ];
  for (const [name, headers] of SAME) {
    it(`${name}`, async () => {
      t = await createTestApp();
      const whm = await whmLogin(headers);
      expect(whm.statusCode, whm.body).toBe(200);
      expect(whm.json().status).toBe(1);
      const rest = await restLogin(headers);
      expect(rest.statusCode, rest.body).toBe(201);
    });
  }
});
