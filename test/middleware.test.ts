import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { once } from "node:events";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import express from "express";
import Fastify, { type FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KeyholdClient, type KeyholdCredential } from "../src/client/index.js";
import { KeyholdVerifier, keyholdExpress, keyholdFastify, type ExpressLikeRequest } from "../src/middleware/index.js";
import { CLI, startServer, type ServerProcess } from "./server-process.js";

const ROOT_PASSWORD = "middleware-root-password-1";

/** Fastify and Express apps guarded by keyhold/middleware, verifying through a real Keyhold process. */
describe("keyhold/middleware against a real server", { timeout: 60_000 }, () => {
  let dataDir: string;
  let server: ServerProcess | undefined;
  let root: KeyholdClient;
  let service: KeyholdCredential;
  let appToken: string;

  /** A fresh token for root with the given privileges. */
  async function token(name: string, acls: string[]): Promise<string> {
    return (await root.rest.tokens.create({ name, acls })).token;
  }

  beforeAll(async () => {
    expect(existsSync(CLI), `${CLI} is missing: run \`npm run build\` first`).toBe(true);
    dataDir = mkdtempSync(join(tmpdir(), "keyhold-middleware-"));
    server = await startServer(["--data-dir", dataDir], { KEYHOLD_ROOT_PASSWORD: ROOT_PASSWORD });
    root = new KeyholdClient({ baseUrl: server.base, credential: { kind: "basic", user: "root", password: ROOT_PASSWORD } });
    service = { kind: "api-token", user: "root", token: await token("verifier", ["verify-credentials"]) };
    appToken = await token("app", ["list-accts"]);
  });

  afterAll(async () => {
    await server?.stop();
    if (dataDir !== undefined) rmSync(dataDir, { recursive: true, force: true });
  });

  /** /admin needs create-acct, everything else list-accts. */
  const aclsFor = (url: string) => (url.startsWith("/admin") ? ["create-acct"] : ["list-accts"]);

  describe("Fastify plugin", () => {
    let app: FastifyInstance;
    let now = 1_000_000;
    let verifier: KeyholdVerifier;

    beforeAll(async () => {
      verifier = new KeyholdVerifier({ baseUrl: server!.base, credential: service, now: () => now });
      app = Fastify();
      await app.register(keyholdFastify, { verifier, acls: (request) => aclsFor(request.url) });
      app.get("/whoami", async (request) => request.keyhold);
      app.get("/admin/thing", async () => ({ ok: true }));
      await app.ready();
    });
    afterAll(async () => app?.close());

    it("lets a valid token through with its identity", async () => {
      const response = await app.inject({ method: "GET", url: "/whoami", headers: { authorization: `whm root:${appToken}` } });
      expect(response.statusCode).toBe(200);
      expect(response.json()).toMatchObject({ user: "root", role: "root", credential: { kind: "api-token", name: "app" } });
      expect(response.json().acls).toContain("list-accts");
    });

    it("answers 401 to a wrong or missing credential", async () => {
      const wrong = await app.inject({ method: "GET", url: "/whoami", headers: { authorization: "whm root:ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ" } });
      expect(wrong.statusCode).toBe(401);
      expect(wrong.json()).toMatchObject({ status: "error", msg: "" });
      expect(wrong.body).not.toContain("ZZZZZZZZZZZZZZZZ");
      const missing = await app.inject({ method: "GET", url: "/whoami" });
      expect(missing.statusCode).toBe(401);
    });

    it("answers 403 when the credential lacks the privilege", async () => {
      const response = await app.inject({ method: "GET", url: "/admin/thing", headers: { authorization: `whm root:${appToken}` } });
      expect(response.statusCode).toBe(403);
    });

    it("accepts an IP-bound access hash from the cookie", async () => {
      const created = await root.rest.accessHashes.create({ name: "mw-iah", ip: "127.0.0.1" });
      const response = await app.inject({ method: "GET", url: "/whoami", headers: { cookie: `other=1; access_hash=${created.access_hash}` } });
      expect(response.statusCode).toBe(200);
      expect(response.json()).toMatchObject({ user: "root", credential: { kind: "ip-access-hash" } });
    });

    it("refuses a revoked token once the cache TTL has passed, and only keeps VALID answers", async () => {
      const short = await token("short-lived", ["list-accts"]);
      const ask = () => app.inject({ method: "GET", url: "/whoami", headers: { authorization: `whm root:${short}` } });
      expect((await ask()).statusCode).toBe(200);
      await root.rest.tokens.revoke("short-lived");
      now += 4_000;
      expect((await ask()).statusCode).toBe(200); // still cached (5 s TTL)
      now += 1_001;
      expect((await ask()).statusCode).toBe(401); // asked again: revoked
      expect((await ask()).statusCode).toBe(401); // refusals are not cached, and stay refused
    });

    it("keys its cache by digest, never the raw secret", async () => {
      // The cache is private; what can be seen is that it holds entries and is bounded.
      const small = new KeyholdVerifier({ baseUrl: server!.base, credential: service, cacheMaxEntries: 1 });
      const a = await small.verify({ authorization: `whm root:${appToken}`, ip: "127.0.0.1", acls: ["list-accts"] });
      expect(a.ok).toBe(true);
      const b = await small.verify({ authorization: `whm root:${appToken}`, ip: "127.0.0.2", acls: ["list-accts"] });
      expect(b.ok).toBe(true);
      expect(small.size).toBe(1);
    });
  });

  describe("Express middleware", () => {
    let listener: Server;
    let base: string;

    beforeAll(async () => {
      const app = express();
      app.use(keyholdExpress({ baseUrl: server!.base, credential: service, acls: (req: ExpressLikeRequest) => aclsFor(req.url ?? "/") }));
      app.get("/whoami", (req, res) => {
        res.json((req as ExpressLikeRequest).keyhold);
      });
      app.get("/admin/thing", (_req, res) => {
        res.json({ ok: true });
      });
      listener = app.listen(0, "127.0.0.1");
      await once(listener, "listening");
      base = `http://127.0.0.1:${(listener.address() as AddressInfo).port}`;
    });
    afterAll(async () => {
      listener?.close();
      if (listener !== undefined) await once(listener, "close");
    });

    it("lets a valid token through with its identity", async () => {
      const response = await fetch(`${base}/whoami`, { headers: { authorization: `whm root:${appToken}` } });
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ user: "root", credential: { kind: "api-token", name: "app" } });
    });

    it("answers 401 to a wrong credential and 403 to a missing privilege", async () => {
      const wrong = await fetch(`${base}/whoami`, { headers: { authorization: "whm root:YYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYY" } });
      expect(wrong.status).toBe(401);
      expect(await wrong.json()).toMatchObject({ status: "error" });
      const missing = await fetch(`${base}/whoami`);
      expect(missing.status).toBe(401);
      const denied = await fetch(`${base}/admin/thing`, { headers: { authorization: `whm root:${appToken}` } });
      expect(denied.status).toBe(403);
    });
  });

  describe("when the verify API reports a lockout or is unreachable", () => {
    it("passes LOCKED_OUT on as 429 with Retry-After", async () => {
      const fakeFetch: typeof fetch = async () =>
        new Response(JSON.stringify({ error: "", msg: { valid: false, code: "LOCKED_OUT", retry_after: 42 }, status: "success" }), { status: 200, headers: { "content-type": "application/json" } });
      const app = Fastify();
      await app.register(keyholdFastify, { baseUrl: "http://keyhold.invalid", credential: service, fetch: fakeFetch });
      app.get("/", async () => "hi");
      const response = await app.inject({ method: "GET", url: "/", headers: { authorization: "whm root:ABC" } });
      expect(response.statusCode).toBe(429);
      expect(response.headers["retry-after"]).toBe("42");
      await app.close();
    });

    it("fails closed (503) when Keyhold cannot be reached", async () => {
      const verifier = new KeyholdVerifier({ baseUrl: "http://127.0.0.1:1", credential: service });
      const decision = await verifier.verify({ authorization: `whm root:${appToken}`, ip: "127.0.0.1" });
      expect(decision).toMatchObject({ ok: false, status: 503 });
      expect(JSON.stringify(decision)).not.toContain(appToken);
    });
  });
});
