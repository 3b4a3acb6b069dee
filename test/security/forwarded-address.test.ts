import { randomBytes } from "node:crypto";
import type { FastifyInstance, LightMyRequestResponse } from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import { CLI_ACTOR } from "../../src/core/actor.js";
import type { Keyhold } from "../../src/core/keyhold.js";
import { buildServer } from "../../src/http/server.js";
import { createTestApp, createTestKeyhold, type TestApp } from "../harness.js";

// Issue 11 §3: any local process could send X-Real-IP to /auth/request and have it believed:
// an IP-whitelisted token then passed from anywhere, and any address could be locked out.
// Forwarded-address headers now count only from peers named with --trust-proxy.

let current: TestApp | undefined;
afterEach(async () => {
  await current?.close();
  current = undefined;
});

async function start(trustProxy: string[]): Promise<TestApp> {
  current = await createTestApp({ http: { trustProxy } });
  return current;
}

async function pinnedToken(keyhold: Keyhold, ip: string): Promise<string> {
  return (await keyhold.tokens.create(CLI_ACTOR, "root", { name: `pinned${randomBytes(3).toString("hex")}`, whitelistIps: [ip] })).token;
}

function authRequest(app: FastifyInstance, headers: Record<string, string>, remoteAddress: string): Promise<LightMyRequestResponse> {
  return app.inject({ method: "GET", url: "/auth/request", headers, remoteAddress });
}

// The last field: whether a named proxy sending the same headers is believed. A chain whose last
// hop is an unnamed address stops there: that hop is the client.
const SPOOFS: ReadonlyArray<[string, Record<string, string>, boolean]> = [
  ["X-Real-IP", { "x-real-ip": "10.1.2.3" }, true],
  ["X-Forwarded-For", { "x-forwarded-for": "10.1.2.3" }, true],
  ["both", { "x-real-ip": "10.1.2.3", "x-forwarded-for": "10.1.2.3" }, true],
  ["a chain through an unnamed hop", { "x-forwarded-for": "10.1.2.3, 127.0.0.1" }, false],
];

describe("without --trust-proxy, a loopback caller cannot claim another client's address", () => {
  it.each(SPOOFS)("%s naming the whitelisted address: 401 for a token pinned to 10.1.2.3", async (_label, spoof) => {
    const { app, keyhold } = await start([]);
    const secret = await pinnedToken(keyhold, "10.1.2.3");
    for (const peer of ["127.0.0.1", "::1", "127.8.9.10"]) {
      const response = await authRequest(app, { authorization: `whm root:${secret}`, ...spoof }, peer);
      expect(response.statusCode, peer).toBe(401);
      expect(response.headers["x-keyhold-user"]).toBeUndefined();
    }
  });

  it("it may still call /auth/request, answered about its own socket address", async () => {
    const { app, keyhold } = await start([]);
    const local = await pinnedToken(keyhold, "127.0.0.1");
    // nginx on this host without --trust-proxy keeps working for clients of this host.
    const response = await authRequest(app, { authorization: `whm root:${local}`, "x-real-ip": "10.1.2.3" }, "127.0.0.1");
    expect(response.statusCode).toBe(204);
  });

  it("guesses sent with a forged X-Real-IP are counted against the caller, not the address it names", async () => {
    const { app, keyhold } = await start([]);
    for (let i = 0; i < 5; i++) expect((await authRequest(app, { authorization: `whm root:WRONG${i}`, "x-real-ip": "198.51.100.7" }, "127.0.0.1")).statusCode).toBe(401);
    const failures = await keyhold.audit.list({ action: "login.failure", limit: 10 });
    expect(failures).toHaveLength(5);
    expect(failures.every((entry) => entry.ip === "127.0.0.1")).toBe(true);
    // The block falls on the caller itself: its next request, with a good token, is 429.
    const open = (await keyhold.tokens.create(CLI_ACTOR, "root", { name: "open" })).token;
    expect((await authRequest(app, { authorization: `whm root:${open}`, "x-real-ip": "198.51.100.8" }, "127.0.0.1")).statusCode).toBe(429);
  });
});

describe("with --trust-proxy naming another host, loopback is not trusted either", () => {
  it.each(SPOOFS)("%s from loopback is ignored when only 10.0.0.2 is named", async (_label, spoof, believedFromProxy) => {
    const { app, keyhold } = await start(["10.0.0.2"]);
    const secret = await pinnedToken(keyhold, "10.1.2.3");
    expect((await authRequest(app, { authorization: `whm root:${secret}`, ...spoof }, "127.0.0.1")).statusCode).toBe(401);
    // The control: the same headers from the named proxy are believed.
    expect((await authRequest(app, { authorization: `whm root:${secret}`, ...spoof }, "10.0.0.2")).statusCode).toBe(believedFromProxy ? 204 : 401);
  });

  it("an unnamed remote peer is refused outright", async () => {
    const { app, keyhold } = await start(["10.0.0.2"]);
    const secret = await pinnedToken(keyhold, "10.1.2.3");
    expect((await authRequest(app, { authorization: `whm root:${secret}`, "x-real-ip": "10.1.2.3" }, "10.0.0.3")).statusCode).toBe(403);
  });
});

describe("Keyhold's own APIs read the client address with the same trust", () => {
  async function status(app: FastifyInstance, secret: string, headers: Record<string, string>, remoteAddress: string): Promise<number> {
    return (await app.inject({ method: "GET", url: "/api/v1/system/status", headers: { authorization: `whm root:${secret}`, ...headers }, remoteAddress })).statusCode;
  }

  it("X-Forwarded-For from an unnamed loopback peer is not the client; from a named proxy it is", async () => {
    const { app, keyhold } = await start(["10.0.0.2"]);
    const secret = await pinnedToken(keyhold, "10.1.2.3");
    expect(await status(app, secret, { "x-forwarded-for": "10.1.2.3" }, "127.0.0.1")).toBe(401);
    expect(await status(app, secret, { "x-forwarded-for": "10.1.2.3" }, "10.0.0.2")).toBe(200);
  });

  it("a --trust-proxy entry that is not an address or CIDR range is refused at start, naming it", async () => {
    const { keyhold } = await createTestKeyhold({ root: false });
    try {
      // proxy-addr alone would take "loopback" as every loopback address, which auth_request would not.
      for (const entry of ["loopback", "somewhere", "10.0.0.5/24"]) {
        expect(() => buildServer(keyhold, { trustProxy: [entry], insecureHttp: false, bodyLimit: 1024, logLevel: "silent" }), entry).toThrow(new RegExp(`--trust-proxy entry “${entry.replace(/[./]/g, "\\$&")}”`));
      }
    } finally {
      await keyhold.close();
    }
  });
});
