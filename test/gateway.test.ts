import { randomBytes } from "node:crypto";
import { once, type EventEmitter } from "node:events";
import { createServer, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { FastifyInstance } from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import { AccessRules } from "../src/core/access-rules.js";
import { CLI_ACTOR } from "../src/core/actor.js";
import type { Keyhold } from "../src/core/keyhold.js";
import { ROOT_PASSWORD, basicHeader, createTestApp, listenOnLoopback, whmHeader, type ManualClock } from "./harness.js";
import { unusedPort } from "./server-process.js";

// Gateway mode (issue 7 §3): Keyhold in front of an application, over real sockets.

// `ws` comes with @fastify/http-proxy but without type declarations; these are the parts used here.
type WsSocket = EventEmitter & { send(data: string | Buffer): void; close(): void; terminate(): void };
interface WsModule {
  WebSocket: new (url: string, options?: { headers?: Record<string, string> }) => WsSocket;
  WebSocketServer: new (options: { server: Server }) => EventEmitter & { clients: Set<WsSocket>; close(callback?: () => void): void };
}
const { WebSocket, WebSocketServer } = (await import("ws" as string)) as WsModule;

interface Seen {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

interface Upstream {
  readonly server: Server;
  readonly url: string;
  readonly seen: Seen[];
  /** Upgrade requests that reached the WebSocket echo server. */
  readonly upgrades: Array<{ url: string; headers: IncomingHttpHeaders }>;
  respond: (seen: Seen, response: ServerResponse) => void;
}

interface Gateway {
  readonly app: FastifyInstance;
  readonly keyhold: Keyhold;
  readonly clock: ManualClock;
  readonly base: string;
  readonly port: number;
}

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  // Clients first, then Keyhold, then the upstream it talks to.
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function defaultResponse(seen: Seen, response: ServerResponse): void {
  response.setHeader("content-type", "application/json");
  response.end(JSON.stringify({ method: seen.method, url: seen.url, bytes: seen.body.length }));
}

async function startUpstream(): Promise<Upstream> {
  const seen: Seen[] = [];
  const upgrades: Upstream["upgrades"] = [];
  const server = createServer((request: IncomingMessage, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const record = { method: request.method ?? "", url: request.url ?? "", headers: request.headers, body: Buffer.concat(chunks) };
      seen.push(record);
      upstream.respond(record, response);
    });
  });
  const wss = new WebSocketServer({ server });
  wss.on("connection", (socket: WsSocket, request: IncomingMessage) => {
    upgrades.push({ url: request.url ?? "", headers: request.headers });
    socket.on("message", (data: Buffer, isBinary: boolean) => socket.send(isBinary ? data : `echo:${data.toString()}`));
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const upstream: Upstream = { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, upgrades, respond: defaultResponse };
  cleanups.push(async () => {
    for (const client of wss.clients) client.terminate();
    await new Promise<void>((resolve) => wss.close(() => resolve()));
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return upstream;
}

async function startGateway(upstream: string, options: { mount?: string; rules?: AccessRules } = {}): Promise<Gateway> {
  const t = await createTestApp({
    parts: { ...(options.rules === undefined ? {} : { rules: options.rules }), gateway: { upstream, mount: options.mount ?? "/app" } },
  });
  cleanups.push(() => t.close());
  const port = await listenOnLoopback(t.app);
  return { app: t.app, keyhold: t.keyhold, clock: t.clock, port, base: `http://127.0.0.1:${port}` };
}

interface Reply {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  json(): any;
}

/** One request on its own connection, with full control of the headers (Cookie included). */
async function send(gateway: Gateway, path: string, options: { method?: string; headers?: Record<string, string>; body?: Buffer | string } = {}): Promise<Reply> {
  const request = httpRequest({ host: "127.0.0.1", port: gateway.port, path, method: options.method ?? "GET", headers: options.headers ?? {}, agent: false });
  request.end(options.body);
  const [response] = (await once(request, "response")) as [IncomingMessage];
  const chunks: Buffer[] = [];
  for await (const chunk of response) chunks.push(chunk as Buffer);
  const body = Buffer.concat(chunks);
  return { status: response.statusCode ?? 0, headers: response.headers, body, json: () => JSON.parse(body.toString("utf8")) };
}

async function token(gateway: Gateway, name: string, input: { acls?: string[]; expiresAt?: string; whitelistIps?: string[] } = {}): Promise<string> {
  return (await gateway.keyhold.tokens.create(CLI_ACTOR, "root", { name, ...input })).token;
}

function expectRestError(reply: Reply, status: number, ...secrets: string[]): void {
  expect(reply.status, reply.body.toString()).toBe(status);
  expect(reply.json()).toEqual({ error: expect.any(String), msg: "", status: "error" });
  expect(reply.json().error).not.toBe("");
  for (const secret of secrets) expect(reply.body.toString()).not.toContain(secret);
}

describe("an authenticated request reaches the upstream", () => {
  it("with the mount removed, the identity headers added and the credentials taken out", async () => {
    const upstream = await startUpstream();
    const gateway = await startGateway(upstream.url);
    const secret = await token(gateway, "client", { acls: ["list-accts"] });
    const reply = await send(gateway, "/app/orders?x=1", {
      headers: {
        ...whmHeader("root", secret),
        cookie: "theme=dark; access_hash=0123abcd; whostmgrsession=sess%3Aabc; lang=en",
        "proxy-authorization": "Basic c2VjcmV0OnNlY3JldA==",
        "x-keyhold-user": "admin",
        "x-keyhold-acls": "all",
        "x-keyhold-credential": "api-token:forged",
        "x-custom": "kept",
      },
    });
    expect(reply.status, reply.body.toString()).toBe(200);
    expect(reply.json()).toEqual({ method: "GET", url: "/orders?x=1", bytes: 0 });
    expect(upstream.seen).toHaveLength(1);
    const { headers } = upstream.seen[0]!;
    expect(headers["x-keyhold-user"]).toBe("root");
    expect(headers["x-keyhold-acls"]).toBe("list-accts");
    expect(headers["x-keyhold-credential"]).toBe("api-token:client");
    expect(headers.authorization).toBeUndefined();
    expect(headers["proxy-authorization"]).toBeUndefined();
    expect(headers.cookie).toBe("theme=dark; lang=en");
    expect(headers["x-custom"]).toBe("kept");
    expect(JSON.stringify(headers)).not.toContain(secret);
  });

  it("the mount itself, and deeper paths, map onto the upstream's root", async () => {
    const upstream = await startUpstream();
    const gateway = await startGateway(upstream.url);
    const secret = await token(gateway, "client");
    expect((await send(gateway, "/app", { headers: whmHeader("root", secret) })).json().url).toBe("/");
    expect((await send(gateway, "/app/", { headers: whmHeader("root", secret) })).json().url).toBe("/");
    expect((await send(gateway, "/app/a/b/c?q=two%20words&n=1", { headers: whmHeader("root", secret) })).json().url).toBe("/a/b/c?q=two%20words&n=1");
    expect(upstream.seen.map((seen) => seen.headers["x-keyhold-acls"])).toEqual(["all", "all", "all"]);
  });

  it("an IP-bound access hash cookie as the credential: the upstream gets no cookie header at all", async () => {
    const upstream = await startUpstream();
    const gateway = await startGateway(upstream.url);
    const created = await gateway.keyhold.ipAccessHashes.create(CLI_ACTOR, { name: "panel", ip: "127.0.0.1" });
    const reply = await send(gateway, "/app/me", { headers: { cookie: `access_hash=${created.accessHash}` } });
    expect(reply.status, reply.body.toString()).toBe(200);
    const { headers } = upstream.seen[0]!;
    expect(headers.cookie).toBeUndefined();
    expect(headers["x-keyhold-credential"]).toBe("ip-access-hash:panel");
    expect(JSON.stringify(headers)).not.toContain(created.accessHash);
  });

  it("HTTP Basic: the password never reaches the upstream", async () => {
    const upstream = await startUpstream();
    const gateway = await startGateway(upstream.url);
    const basic = basicHeader("root", ROOT_PASSWORD);
    expect((await send(gateway, "/app/x", { headers: { authorization: basic } })).status).toBe(200);
    expect(upstream.seen[0]!.headers["x-keyhold-credential"]).toBe("password");
    expect(JSON.stringify(upstream.seen[0]!.headers)).not.toContain(basic.slice(6));
  });
});

describe("a refused request never reaches the upstream", () => {
  it("no credential, a wrong token, a malformed header: 401 in the REST envelope", async () => {
    const upstream = await startUpstream();
    const gateway = await startGateway(upstream.url);
    const secret = await token(gateway, "client");
    const wrong = secret.slice(0, -1) + (secret.endsWith("A") ? "B" : "A");
    expectRestError(await send(gateway, "/app/orders"), 401);
    expectRestError(await send(gateway, "/app/orders", { headers: whmHeader("root", wrong) }), 401, wrong);
    expectRestError(await send(gateway, "/app/orders", { headers: { authorization: "whm nocolon" } }), 401);
    expectRestError(await send(gateway, "/app/orders", { method: "POST", headers: { ...whmHeader("root", wrong), "content-type": "application/json" }, body: '{"a":1}' }), 401, wrong);
    expect(upstream.seen).toEqual([]);
  });

  it("a token from the wrong address, even with a forged X-Forwarded-For / X-Real-IP", async () => {
    const upstream = await startUpstream();
    const gateway = await startGateway(upstream.url);
    const secret = await token(gateway, "pinned", { whitelistIps: ["10.1.2.3"] });
    expectRestError(await send(gateway, "/app/orders", { headers: whmHeader("root", secret) }), 401, secret);
    expectRestError(await send(gateway, "/app/orders", { headers: { ...whmHeader("root", secret), "x-forwarded-for": "10.1.2.3", "x-real-ip": "10.1.2.3" } }), 401, secret);
    expect(upstream.seen).toEqual([]);
  });

  it("an expired token", async () => {
    const upstream = await startUpstream();
    const gateway = await startGateway(upstream.url);
    const secret = await token(gateway, "short", { expiresAt: String(Math.floor(gateway.clock.now() / 1000) + 60) });
    expect((await send(gateway, "/app/orders", { headers: whmHeader("root", secret) })).status).toBe(200);
    gateway.clock.advance(60_000);
    expectRestError(await send(gateway, "/app/orders", { headers: whmHeader("root", secret) }), 401, secret);
    expect(upstream.seen).toHaveLength(1);
  });

  it("a token revoked while the gateway runs, refused on the very next request", async () => {
    const upstream = await startUpstream();
    const gateway = await startGateway(upstream.url);
    const secret = await token(gateway, "soon-gone");
    expect((await send(gateway, "/app/orders", { headers: whmHeader("root", secret) })).status).toBe(200);
    await gateway.keyhold.tokens.revoke(CLI_ACTOR, "root", ["soon-gone"]);
    expectRestError(await send(gateway, "/app/orders", { headers: whmHeader("root", secret) }), 401, secret);
    expect(upstream.seen).toHaveLength(1);
  });

  it("brute force: 429 with Retry-After after 5 failures from the client", async () => {
    const upstream = await startUpstream();
    const gateway = await startGateway(upstream.url);
    const secret = await token(gateway, "client");
    for (let i = 0; i < 5; i++) expectRestError(await send(gateway, "/app/orders", { headers: whmHeader("root", `WRONG-${i}`) }), 401);
    const locked = await send(gateway, "/app/orders", { headers: whmHeader("root", secret) });
    expectRestError(locked, 429, secret);
    expect(locked.headers["retry-after"]).toBe(String(15 * 60));
    expect(upstream.seen).toEqual([]);
  });
});

describe("bodies and responses stream through unchanged", () => {
  it("a JSON body of a few hundred KB", async () => {
    const upstream = await startUpstream();
    const gateway = await startGateway(upstream.url);
    const secret = await token(gateway, "client");
    const items = Array.from({ length: 6000 }, (_, i) => ({ id: i, name: `item-${i}`, note: "ünïcødé ✓ 🚀" }));
    const body = Buffer.from(JSON.stringify({ items }));
    expect(body.length).toBeGreaterThan(300_000);
    const reply = await send(gateway, "/app/import", { method: "POST", headers: { ...whmHeader("root", secret), "content-type": "application/json" }, body });
    expect(reply.status, reply.body.toString()).toBe(200);
    expect(reply.json()).toEqual({ method: "POST", url: "/import", bytes: body.length });
    const seen = upstream.seen[0]!;
    expect(seen.headers["content-type"]).toBe("application/json");
    expect(seen.body.equals(body)).toBe(true);
  });

  it("a binary octet-stream body, and a PUT with an unusual content type", async () => {
    const upstream = await startUpstream();
    const gateway = await startGateway(upstream.url);
    const secret = await token(gateway, "client");
    const binary = randomBytes(400_000);
    const reply = await send(gateway, "/app/upload", { method: "POST", headers: { ...whmHeader("root", secret), "content-type": "application/octet-stream" }, body: binary });
    expect(reply.status, reply.body.toString()).toBe(200);
    expect(upstream.seen[0]!.body.equals(binary)).toBe(true);
    expect(upstream.seen[0]!.headers["content-type"]).toBe("application/octet-stream");

    // A form body is not parsed (and re-encoded) by Keyhold's form parser on its way through.
    const form = "a=1&b=%20two&a=3&weird=%F0%9F%9A%80";
    expect((await send(gateway, "/app/form", { method: "PUT", headers: { ...whmHeader("root", secret), "content-type": "application/x-www-form-urlencoded" }, body: form })).status).toBe(200);
    expect(upstream.seen[1]!.method).toBe("PUT");
    expect(upstream.seen[1]!.body.toString()).toBe(form);
  });

  it("the upstream's status, headers and a large body come back", async () => {
    const upstream = await startUpstream();
    const gateway = await startGateway(upstream.url);
    const secret = await token(gateway, "client");
    const payload = randomBytes(1_500_000);
    upstream.respond = (seen, response) => {
      if (seen.url === "/missing") {
        response.writeHead(404, { "content-type": "text/plain", "x-upstream": "yes" });
        response.end("not here");
        return;
      }
      response.writeHead(201, { "content-type": "application/octet-stream", "x-upstream": "yes", "set-cookie": "upstream_session=u1; Path=/" });
      response.end(payload);
    };
    const created = await send(gateway, "/app/blob", { method: "POST", headers: whmHeader("root", secret), body: "x" });
    expect(created.status).toBe(201);
    expect(created.headers["x-upstream"]).toBe("yes");
    expect(created.headers["content-type"]).toBe("application/octet-stream");
    expect(created.headers["set-cookie"]).toEqual(["upstream_session=u1; Path=/"]);
    expect(created.body.equals(payload)).toBe(true);

    const missing = await send(gateway, "/app/missing", { headers: whmHeader("root", secret) });
    expect(missing.headers["connection"]).not.toBe("keep-alive");
    expect(missing.status).toBe(404);
    expect(missing.body.toString()).toBe("not here");
    expect(missing.headers["x-upstream"]).toBe("yes");
  });
});

describe("access rules", () => {
  const rules = AccessRules.parse({ rules: [{ prefix: "/admin", methods: ["POST", "DELETE"], acls: ["create-acct"] }] });

  it("paths under the mount are matched with the mount removed: 403 without the privilege, and the upstream not called", async () => {
    const upstream = await startUpstream();
    const gateway = await startGateway(upstream.url, { rules });
    const lister = await token(gateway, "lister", { acls: ["list-accts"] });
    const creator = await token(gateway, "creator", { acls: ["create-acct"] });
    const denied = await send(gateway, "/app/admin/users?x=1", { method: "POST", headers: { ...whmHeader("root", lister), "content-type": "application/json" }, body: "{}" });
    expectRestError(denied, 403, lister);
    expect(denied.json().error).toContain("create-acct");
    expect(upstream.seen).toEqual([]);

    expect((await send(gateway, "/app/admin/users?x=1", { headers: whmHeader("root", lister) })).status).toBe(200);
    expect((await send(gateway, "/app/admin/users", { method: "POST", headers: { ...whmHeader("root", creator), "content-type": "application/json" }, body: "{}" })).status).toBe(200);
    expect(upstream.seen.map((seen) => `${seen.method} ${seen.url} ${seen.headers["x-keyhold-credential"]}`)).toEqual([
      "GET /admin/users?x=1 api-token:lister",
      "POST /admin/users api-token:creator",
    ]);
  });

  it("a path written so that only the upstream's router reads it as /admin cannot slip past the rule", async () => {
    const upstream = await startUpstream();
    const gateway = await startGateway(upstream.url, { rules });
    const lister = await token(gateway, "lister", { acls: ["list-accts"] });
    // An encoded mount is still the mount (the router decodes it): the rest is /admin/users.
    for (const path of ["/app/%61dmin/users", "/app/%61%64%6D%69%6E", "/%61pp/admin/users", "/app/admin%2Fusers", "/app/./admin/users", "/app/x/%2e%2e/admin"]) {
      const reply = await send(gateway, path, { method: "POST", headers: whmHeader("root", lister), body: "" });
      expect(reply.status, `${path}: ${reply.body.toString()}`).toBe(403);
    }
    expect(upstream.seen).toEqual([]);
    // The privilege it lacks is all that is refused: GET on the same paths still goes through,
    // and the upstream is sent the canonical path the rule was matched against.
    expect((await send(gateway, "/%61pp/%61dmin/users", { headers: whmHeader("root", lister) })).status).toBe(200);
    expect(upstream.seen.map((seen) => seen.url)).toEqual(["/admin/users"]);
  });
});

describe("the upstream is down", () => {
  it("502 in the REST envelope, without the upstream's address", async () => {
    const port = await unusedPort();
    const gateway = await startGateway(`http://127.0.0.1:${port}`);
    const secret = await token(gateway, "client");
    const reply = await send(gateway, "/app/orders", { headers: whmHeader("root", secret) });
    expectRestError(reply, 502);
    expect(reply.body.toString()).not.toContain(String(port));
    // Still authenticated first: without a credential it is 401, not 502.
    expectRestError(await send(gateway, "/app/orders"), 401);
  });
});

describe("WebSocket upgrades", () => {
  async function connect(gateway: Gateway, path: string, headers: Record<string, string>): Promise<WsSocket> {
    const socket = new WebSocket(`ws://127.0.0.1:${gateway.port}${path}`, { headers });
    // Terminating a socket whose upgrade was refused reports an error nobody needs at cleanup.
    cleanups.push(() => {
      socket.on("error", () => undefined);
      socket.terminate();
    });
    return socket;
  }

  it("with a valid token: messages round-trip, and the upstream saw the identity headers and no credential", async () => {
    const upstream = await startUpstream();
    const gateway = await startGateway(upstream.url);
    const secret = await token(gateway, "live", { acls: ["list-accts"] });
    const socket = await connect(gateway, "/app/socket?room=7", { ...whmHeader("root", secret), cookie: "theme=dark; access_hash=abc", "x-keyhold-user": "admin" });
    await once(socket, "open");
    socket.send("hello");
    const [message] = (await once(socket, "message")) as [Buffer];
    expect(message.toString()).toBe("echo:hello");
    socket.send("again");
    const [second] = (await once(socket, "message")) as [Buffer];
    expect(second.toString()).toBe("echo:again");

    expect(upstream.upgrades).toHaveLength(1);
    const { url, headers } = upstream.upgrades[0]!;
    expect(url).toBe("/socket?room=7");
    expect(headers["x-keyhold-user"]).toBe("root");
    expect(headers["x-keyhold-acls"]).toBe("list-accts");
    expect(headers["x-keyhold-credential"]).toBe("api-token:live");
    expect(headers.authorization).toBeUndefined();
    expect(headers.cookie).toBe("theme=dark");
    expect(JSON.stringify(headers)).not.toContain(secret);
  });

  it("without a valid token the upgrade is refused and the upstream never sees it", async () => {
    const upstream = await startUpstream();
    const gateway = await startGateway(upstream.url);
    for (const headers of [{}, whmHeader("root", "WRONG-TOKEN")]) {
      const socket = await connect(gateway, "/app/socket", headers);
      const [, response] = (await once(socket, "unexpected-response")) as [unknown, IncomingMessage];
      expect(response.statusCode).toBe(401);
      response.resume();
    }
    expect(upstream.upgrades).toEqual([]);
  });
});

describe("a gateway mounted at /", () => {
  it("Keyhold's own routes keep answering; everything else is authenticated and forwarded", async () => {
    const upstream = await startUpstream();
    const gateway = await startGateway(upstream.url, { mount: "/" });
    const basic = { authorization: basicHeader("root", ROOT_PASSWORD) };

    const health = await send(gateway, "/healthz");
    expect(health.status).toBe(200);
    expect(health.json().status).toBe("ok");

    const version = await send(gateway, "/json-api/version?api.version=1", { headers: basic });
    expect(version.status, version.body.toString()).toBe(200);
    expect(version.json().metadata.result).toBe(1);
    expect(version.json().data.version).toEqual(expect.any(String));

    const status = await send(gateway, "/api/v1/system/status", { headers: basic });
    expect(status.status, status.body.toString()).toBe(200);
    expect(status.json().msg.status).toBe("ok");

    // Keyhold's own API still refuses a caller without credentials in its own way.
    expect((await send(gateway, "/api/v1/system/status")).status).toBe(401);
    expect(upstream.seen).toEqual([]);

    expectRestError(await send(gateway, "/orders/1"), 401);
    expect(upstream.seen).toEqual([]);
    const secret = await token(gateway, "client");
    const forwarded = await send(gateway, "/orders/1?y=2", { headers: whmHeader("root", secret) });
    expect(forwarded.status).toBe(200);
    expect(forwarded.json().url).toBe("/orders/1?y=2");
    expect((await send(gateway, "/", { headers: whmHeader("root", secret) })).json().url).toBe("/");
    expect(upstream.seen.map((seen) => seen.headers["x-keyhold-user"])).toEqual(["root", "root"]);
  });
});

describe("connection headers are the gateway's own, not the upstream's", () => {
  it("a client's Connection: close is honoured although the upstream keeps its connection alive", async () => {
    const upstream = await startUpstream();
    upstream.respond = (_seen, response) => {
      response.writeHead(200, { connection: "keep-alive, x-upstream-hop", "keep-alive": "timeout=600", "x-upstream-hop": "1", "x-end-to-end": "yes" });
      response.end("ok");
    };
    const gateway = await startGateway(upstream.url);
    const secret = await token(gateway, "client");
    const reply = await send(gateway, "/app/x", { headers: { ...whmHeader("root", secret), connection: "close" } });
    expect(reply.status).toBe(200);
    expect(reply.headers["connection"]).toBe("close");
    expect(reply.headers["keep-alive"]).toBeUndefined();
    expect(reply.headers["x-upstream-hop"]).toBeUndefined();
    expect(reply.headers["x-end-to-end"]).toBe("yes");
  });
});
