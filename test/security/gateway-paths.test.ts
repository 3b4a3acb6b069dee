import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import { connect, type AddressInfo } from "node:net";
import type { FastifyInstance } from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import { AccessRules, canonicalPath } from "../../src/core/access-rules.js";
import { CLI_ACTOR } from "../../src/core/actor.js";
import type { Keyhold } from "../../src/core/keyhold.js";
import { createTestApp, listenOnLoopback, whmHeader } from "../harness.js";

// Issue 11 §1: a request path that the rules read one way and the upstream another. Sent with
// raw sockets, because HTTP clients (and app.inject) cut `#`, resolve dots or re-encode.

// The README's example rules, with /admin declared case-insensitive as the README advises for
// applications whose router ignores case.
const RULES = {
  rules: [
    { prefix: "/admin", acls: ["all"], caseInsensitive: true },
    { prefix: "/accounts", methods: ["POST", "PUT", "DELETE"], acls: ["create-acct"] },
    { prefix: "/accounts", methods: ["GET"], acls: ["list-accts"] },
  ],
};

interface Setup {
  readonly keyhold: Keyhold;
  readonly app: FastifyInstance;
  readonly port: number;
  /** Every request line the upstream received, as `METHOD url`. */
  readonly seen: string[];
  readonly seenHeaders: IncomingHttpHeaders[];
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function start(options: { mount?: string; trustProxy?: string[] } = {}): Promise<Setup> {
  const seen: string[] = [];
  const seenHeaders: IncomingHttpHeaders[] = [];
  const upstream: Server = createServer((request, response) => {
    seen.push(`${request.method} ${request.url}`);
    seenHeaders.push(request.headers);
    request.resume();
    response.end("upstream");
  });
  upstream.listen(0, "127.0.0.1");
  await once(upstream, "listening");
  cleanups.push(async () => {
    upstream.closeAllConnections();
    await new Promise<void>((resolve) => upstream.close(() => resolve()));
  });
  const t = await createTestApp({
    http: { trustProxy: options.trustProxy ?? [] },
    parts: { rules: AccessRules.parse(RULES), gateway: { upstream: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`, mount: options.mount ?? "/app" } },
  });
  cleanups.push(() => t.close());
  return { keyhold: t.keyhold, app: t.app, port: await listenOnLoopback(t.app), seen, seenHeaders };
}

async function token(setup: Setup, acls?: string[]): Promise<string> {
  const name = `t${randomBytes(4).toString("hex")}`;
  return (await setup.keyhold.tokens.create(CLI_ACTOR, "root", { name, ...(acls === undefined ? {} : { acls }) })).token;
}

/** Sends `METHOD target` byte for byte on its own connection and reads the status and body. */
async function raw(port: number, method: string, target: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  const socket = connect(port, "127.0.0.1");
  await once(socket, "connect");
  const lines = [`${method} ${target} HTTP/1.1`, "Host: 127.0.0.1", "Connection: close", ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`)];
  socket.write(`${lines.join("\r\n")}\r\n${method === "POST" ? "Content-Length: 0\r\n" : ""}\r\n`);
  const chunks: Buffer[] = [];
  socket.on("data", (chunk: Buffer) => chunks.push(chunk));
  await once(socket, "close");
  const text = Buffer.concat(chunks).toString("utf8");
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
  return { status, body: text.slice(text.indexOf("\r\n\r\n") + 4) };
}

describe("gateway: a # in the request target is refused and never reaches the upstream", () => {
  it.each([
    ["GET", "/app/admin#x"],
    ["POST", "/app/accounts#x"],
    ["GET", "/app/admin/#"],
    ["GET", "/app/orders?x=1#/admin"],
    ["GET", "/app#/admin"],
  ])("%s %s with a token lacking the privilege: 400", async (method, target) => {
    const setup = await start();
    const lister = await token(setup, ["list-accts"]);
    const reply = await raw(setup.port, method, target, whmHeader("root", lister));
    expect(reply.status, reply.body).toBe(400);
    expect(JSON.parse(reply.body)).toEqual({ error: expect.stringContaining("“#”"), msg: "", status: "error" });
    expect(setup.seen).toEqual([]);
  });

  it("even with a token that has every privilege, and on Keyhold's own routes", async () => {
    const setup = await start();
    const root = await token(setup);
    expect((await raw(setup.port, "GET", "/app/orders#x", whmHeader("root", root))).status).toBe(400);
    expect((await raw(setup.port, "GET", "/api/v1/system/status#x", whmHeader("root", root))).status).toBe(400);
    expect((await raw(setup.port, "GET", "/healthz#x")).status).toBe(400);
    expect(setup.seen).toEqual([]);
  });

  it("a WebSocket upgrade with # is refused too", async () => {
    const setup = await start();
    const root = await token(setup);
    const reply = await raw(setup.port, "GET", "/app/admin#x", { ...whmHeader("root", root), Upgrade: "websocket", Connection: "Upgrade", "Sec-WebSocket-Version": "13", "Sec-WebSocket-Key": randomBytes(16).toString("base64") });
    expect(reply.status).toBe(400);
    expect(setup.seen).toEqual([]);
  });
});

describe("gateway: path parameters (;) are refused, raw or encoded", () => {
  it.each(["/app/admin;x", "/app/admin;jsessionid=1/users", "/app/ad%3Bmin", "/app/accounts;a=1"])("%s: 400, upstream untouched", async (target) => {
    const setup = await start();
    const root = await token(setup);
    // Refused whatever the credential: stripping or keeping `;` are both wrong for some upstream.
    const reply = await raw(setup.port, "POST", target, whmHeader("root", root));
    expect(reply.status, reply.body).toBe(400);
    expect(JSON.parse(reply.body).error).toMatch(/path parameter/);
    expect(setup.seen).toEqual([]);
  });
});

it("a ; in the mount itself does not even reach the gateway", async () => {
  const setup = await start();
  const root = await token(setup);
  expect((await raw(setup.port, "POST", "/app;x/admin", whmHeader("root", root))).status).toBe(404);
  expect(setup.seen).toEqual([]);
});

describe("gateway: a case-insensitive rule holds /ADMIN to /admin's privileges", () => {
  it.each(["/app/ADMIN", "/app/Admin/users", "/app/%41dmin", "/app/aDmIn/"])("%s without `all`: 403", async (target) => {
    const setup = await start();
    const lister = await token(setup, ["list-accts", "create-acct"]);
    const reply = await raw(setup.port, "GET", target, whmHeader("root", lister));
    expect(reply.status, reply.body).toBe(403);
    expect(setup.seen).toEqual([]);
  });
});

describe("gateway: the upstream receives exactly the canonical path the rules matched", () => {
  it.each([
    ["/app/%61dmin", "/admin"],
    ["/app/x/%2e%2e/admin", "/admin"],
    ["/app/./admin//users", "/admin/users"],
    ["/app/admin%2Fusers", "/admin/users"],
    ["/app/admin\\users", "/admin/users"],
    ["/%61pp/caf%c3%a9?q=two%20words&a=1&a=2&flag", "/caf%C3%A9?q=two%20words&a=1&a=2&flag"],
    ["/app/a|b/x:y@z", "/a%7Cb/x:y@z"],
  ])("%s reaches the upstream as %s, and is checked as that", async (target, forwarded) => {
    const setup = await start();
    const root = await token(setup);
    expect((await raw(setup.port, "GET", target, whmHeader("root", root))).status).toBe(200);
    expect(setup.seen).toEqual([`GET ${forwarded}`]);
    // What was matched is what was forwarded: the same request without `all` is refused.
    const path = forwarded.split("?")[0]!;
    const needed = AccessRules.parse(RULES).required("GET", canonicalPath(path));
    const lister = await token(setup, ["list-accts"]);
    expect((await raw(setup.port, "GET", target, whmHeader("root", lister))).status).toBe(needed.includes("all") ? 403 : 200);
  });

  it("POST /app/accounts in any disguise needs create-acct", async () => {
    const setup = await start();
    const lister = await token(setup, ["list-accts"]);
    for (const target of ["/app/accounts", "/app/%61ccounts", "/app/x/../accounts", "/app//accounts/", "/%61pp/accounts/7"]) {
      expect((await raw(setup.port, "POST", target, whmHeader("root", lister))).status, target).toBe(403);
    }
    expect(setup.seen).toEqual([]);
  });

  it("a path that dots out of the mount, or an absolute-form target, is refused", async () => {
    const setup = await start();
    const root = await token(setup);
    for (const target of ["/app/../admin", "/app/%2e%2e/admin", `http://127.0.0.1:${setup.port}/app/admin`]) {
      const reply = await raw(setup.port, "GET", target, whmHeader("root", root));
      expect(reply.status, `${target}: ${reply.body}`).toBeGreaterThanOrEqual(400);
      expect(reply.status, target).toBeLessThan(500);
    }
    expect(setup.seen).toEqual([]);
  });

  it("bad percent-encoding and encoded control characters: 400", async () => {
    const setup = await start();
    const root = await token(setup);
    for (const target of ["/app/admin%zz", "/app/caf%C3", "/app/admin%00.html", "/app/x%0d%0aX-Keyhold-User:%20admin"]) {
      const reply = await raw(setup.port, "GET", target, whmHeader("root", root));
      expect(reply.status, `${target}: ${reply.body}`).toBe(400);
    }
    expect(setup.seen).toEqual([]);
  });
});

describe("gateway: the upstream is told the client's address Keyhold checked, not one the client wrote", () => {
  it("forged X-Real-IP / X-Forwarded-For are replaced", async () => {
    const setup = await start();
    const root = await token(setup);
    expect((await raw(setup.port, "GET", "/app/orders", { ...whmHeader("root", root), "X-Real-IP": "10.9.9.9", "X-Forwarded-For": "10.9.9.9" })).status).toBe(200);
    expect(setup.seenHeaders[0]!["x-real-ip"]).toBe("127.0.0.1");
    expect(setup.seenHeaders[0]!["x-forwarded-for"]).toBe("127.0.0.1");
  });
});

describe("auth_request: X-Original-URI gets the same canonical reading", () => {
  async function authRequest(setup: Setup, secret: string, method: string, uri: string): Promise<number> {
    const response = await setup.app.inject({ method: "GET", url: "/auth/request", headers: { authorization: `whm root:${secret}`, "x-original-method": method, "x-original-uri": uri }, remoteAddress: "127.0.0.1" });
    return response.statusCode;
  }

  it.each([
    ["GET", "/admin#x", 400],
    ["POST", "/accounts#x", 400],
    ["GET", "/orders?x=1#/admin", 400],
    ["GET", "/admin;x", 400],
    ["GET", "/admin%3Bx", 400],
    ["GET", "/admin%zz", 400],
    ["GET", "http://example.com/admin", 400],
    ["GET", "/ADMIN", 403],
    ["GET", "/%41dmin/x", 403],
    ["POST", "/x/../accounts", 403],
    ["POST", "/%61ccounts", 403],
  ])("%s %s with a list-accts token: %i", async (method, uri, status) => {
    const setup = await start();
    const lister = await token(setup, ["list-accts"]);
    expect(await authRequest(setup, lister, method, uri)).toBe(status);
    expect(await authRequest(setup, lister, "GET", "/accounts")).toBe(204);
  });
});
