import type { LightMyRequestResponse } from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import { CLI_ACTOR } from "../../src/core/actor.js";
import { basicHeader, createTestApp, whmVersion, type TestApp } from "../harness.js";

// Issue 11 item 4: a service holding only verify-credentials sent five bad guesses with ip=X and
// locked X out of every way in, and rotated `ip` to keep guessing. Its failures now count
// against the caller and the address together, and against the caller as a whole.

let t: TestApp | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

const VICTIM = "203.0.113.50";

async function serviceToken(app: TestApp, name: string): Promise<string> {
  await app.keyhold.accounts.create(CLI_ACTOR, { username: name, password: `${name}-password-1`, domain: `${name}.example.com`, reseller: true });
  const granted = await app.whm("setacls", { reseller: name, "acl-verify-credentials": "1" });
  expect(granted.body.metadata.result, granted.body.metadata.reason).toBe(1);
  const created = await app.keyhold.tokens.create(CLI_ACTOR, name, { name: "verify", acls: ["verify-credentials"] });
  return `whm ${name}:${created.token}`;
}

async function verify(app: TestApp, caller: string, body: Record<string, unknown>): Promise<Record<string, any>> {
  const response = await app.app.inject({ method: "POST", url: "/api/v1/verify", headers: { authorization: caller, "content-type": "application/json" }, payload: JSON.stringify(body), remoteAddress: "10.20.0.1" });
  expect(response.statusCode, response.body).toBe(200);
  return response.json().msg;
}

function version(app: TestApp, ip: string): Promise<LightMyRequestResponse> {
  return whmVersion(app, basicHeader("root", "root-password-1"), ip);
}

describe("the verify API cannot lock out an address elsewhere", () => {
  it("five bad guesses naming ip=X leave X's own logins working", async () => {
    const app = (t = await createTestApp());
    const caller = await serviceToken(app, "svc");
    for (let i = 0; i < 5; i++) expect((await verify(app, caller, { authorization: `whm root:GUESS${i}`, ip: VICTIM })).code).toBe("NOT_FOUND");
    expect((await version(app, VICTIM)).statusCode).toBe(200);
    // The caller's guesses for that address are what is limited, under any spelling of it ...
    const limited = await verify(app, caller, { authorization: basicHeader("root", "root-password-1"), ip: `::ffff:${VICTIM}` });
    expect(limited.code).toBe("LOCKED_OUT");
    expect(limited.retry_after).toBe(15 * 60);
    // ... while another caller asking about X is not.
    const other = await serviceToken(app, "svc2");
    expect((await verify(app, other, { authorization: basicHeader("root", "root-password-1"), ip: VICTIM })).code).toBe("VALID");
  });

  it("an address blocked on Keyhold itself stays blocked when a caller asks about it", async () => {
    const app = (t = await createTestApp());
    const caller = await serviceToken(app, "svc");
    for (let i = 0; i < 5; i++) {
      await whmVersion(app, basicHeader("root", `wrong-${i}`), VICTIM);
    }
    expect((await verify(app, caller, { authorization: basicHeader("root", "root-password-1"), ip: VICTIM })).code).toBe("LOCKED_OUT");
  });
});

describe("rotating `ip` does not escape the limit", () => {
  it("the caller's failures across addresses stop at verify_max_failures_per_caller", async () => {
    const app = (t = await createTestApp({ settings: { verify_max_failures_per_caller: "12" } }));
    const caller = await serviceToken(app, "svc");
    for (let i = 0; i < 12; i++) {
      expect((await verify(app, caller, { authorization: basicHeader(`user${i}`, "Summer2026!"), ip: `198.18.${i}.1` })).code).toBe("NOT_FOUND");
    }
    const refused = await verify(app, caller, { authorization: basicHeader("root", "root-password-1"), ip: "198.18.200.1" });
    expect(refused.code).toBe("LOCKED_OUT");
    expect(refused.retry_after).toBe(15 * 60);
    // Only this caller's verify calls: its own API access and everyone else are untouched.
    const own = await app.app.inject({ method: "GET", url: "/api/v1/system/status", headers: { authorization: caller }, remoteAddress: "10.20.0.1" });
    expect(own.statusCode).not.toBe(429);
    expect((await version(app, "198.18.200.1")).statusCode).toBe(200);
    const other = await serviceToken(app, "svc2");
    expect((await verify(app, other, { authorization: basicHeader("root", "root-password-1"), ip: "198.18.200.1" })).code).toBe("VALID");
  });

  it("guesses at one account through the verify API still count against that account", async () => {
    const app = (t = await createTestApp({ settings: { max_failures: "3" } }));
    const caller = await serviceToken(app, "svc");
    for (let i = 0; i < 3; i++) await verify(app, caller, { authorization: basicHeader("root", `guess-${i}`), ip: `198.18.${i}.9` });
    expect((await verify(app, caller, { authorization: basicHeader("root", "root-password-1"), ip: "198.18.99.9" })).code).toBe("LOCKED_OUT");
  });

  it("root calling the verify API is counted the same way", async () => {
    const app = (t = await createTestApp());
    const root = { authorization: `Basic ${Buffer.from("root:root-password-1").toString("base64")}` };
    for (let i = 0; i < 5; i++) {
      await app.app.inject({ method: "POST", url: "/api/v1/verify", headers: { ...root, "content-type": "application/json" }, payload: JSON.stringify({ authorization: `whm root:GUESS${i}`, ip: VICTIM }) });
    }
    expect((await version(app, VICTIM)).statusCode).toBe(200);
  });
});
