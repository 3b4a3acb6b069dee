import { Validator } from "@seriousme/openapi-schema-validator";
import type { FastifyInstance, RouteOptions } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI_ACTOR } from "../src/core/actor.js";
import type { Keyhold } from "../src/core/keyhold.js";
import { buildServer } from "../src/http/server.js";
import { KEYHOLD_VERSION } from "../src/version.js";
import { ROOT, ROOT_PASSWORD, TEST_HTTP, authorization, createTestKeyhold } from "./harness.js";

// Issue 4: the OpenAPI 3.1 document at /api/v1/openapi.json is generated from the route schemas,
// validates with a standard validator, and lists every REST route; /api/docs renders it.

const METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH"] as const;
type Method = (typeof METHODS)[number];

interface Registered {
  readonly url: string;
  readonly method: string;
  readonly public: boolean;
}

let app: FastifyInstance;
let keyhold: Keyhold;
let doc: any;
let docBody: string;
const registered: Registered[] = [];

/** Fastify's `/x/:id` as OpenAPI writes it: `/x/{id}`. */
function openApiPath(url: string): string {
  return url.replace(/:([A-Za-z0-9_]+)/g, "{$1}");
}

/** A concrete URL for a templated path. */
function concrete(url: string): string {
  return url.replace(/:([A-Za-z0-9_]+)/g, "probe");
}

beforeAll(async () => {
  // Keyhold's own clock and password cost, which this suite has always run on.
  ({ keyhold } = await createTestKeyhold({ clock: undefined, passwordHasher: undefined }));
  // Built here rather than by createTestApp, so an onRoute hook sees every route as it is added.
  app = buildServer(keyhold, TEST_HTTP);
  app.addHook("onRoute", (route: RouteOptions) => {
    for (const method of [route.method].flat()) registered.push({ url: route.url, method: String(method), public: route.config?.public === true });
  });
  await app.ready();
  const response = await app.inject({ method: "GET", url: "/api/v1/openapi.json" });
  expect(response.statusCode).toBe(200);
  docBody = response.body;
  doc = response.json();
});

afterAll(async () => {
  await app?.close();
  await keyhold?.close();
});

/**
 * The REST routes the server really serves: every path/method under /api/v1 except the document
 * itself, HEAD (Fastify's automatic twin of GET) and the 405 fallbacks, told apart by probing.
 */
async function servedRoutes(): Promise<Array<{ url: string; method: Method }>> {
  const served: Array<{ url: string; method: Method }> = [];
  for (const route of registered) {
    if (!route.url.startsWith("/api/v1/") || route.url === "/api/v1/openapi.json" || route.method === "HEAD") continue;
    const response = await app.inject({ method: route.method as Method, url: concrete(route.url), remoteAddress: "192.0.2.200" });
    expect(response.statusCode, `${route.method} ${route.url}`).toBeLessThan(500);
    if (response.statusCode === 405) continue;
    served.push({ url: route.url, method: route.method as Method });
  }
  return served;
}

describe("GET /api/v1/openapi.json", () => {
  it("is public JSON, OpenAPI 3.1, titled and versioned", async () => {
    const response = await app.inject({ method: "GET", url: "/api/v1/openapi.json", remoteAddress: "198.51.100.1" });
    expect(response.statusCode).toBe(200);
    expect(response.headers["content-type"]).toMatch(/^application\/json/);
    expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
    expect(doc.info).toMatchObject({ title: expect.any(String), version: KEYHOLD_VERSION });
    expect(doc.info.description).toContain("access_hash");
  });

  it("validates with @seriousme/openapi-schema-validator", async () => {
    const validator = new Validator();
    const result = await validator.validate(structuredClone(doc));
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toMatch(/^3\.1/);
    // Every $ref points somewhere in the document.
    expect(() => validator.resolveRefs()).not.toThrow();
  });

  it("does not itself appear in the document, nor does anything outside /api/v1", () => {
    expect(doc.paths["/api/v1/openapi.json"]).toBeUndefined();
    for (const path of Object.keys(doc.paths)) expect(path.startsWith("/api/v1/"), path).toBe(true);
    expect(docBody).not.toContain("/json-api/");
  });

  it("lists every REST route the server registers, with its method", async () => {
    const served = await servedRoutes();
    // Sanity: the routes the issue names are among them.
    const names = served.map((route) => `${route.method} ${route.url}`);
    for (const expected of [
      "GET /api/v1/system/status",
      "GET /api/v1/access_hashes",
      "POST /api/v1/access_hashes",
      "GET /api/v1/access_hashes/:id",
      "PUT /api/v1/access_hashes/:id",
      "DELETE /api/v1/access_hashes/:id",
      "GET /api/v1/accounts",
      "POST /api/v1/accounts",
      "GET /api/v1/accounts/:username",
      "PUT /api/v1/accounts/:username",
      "DELETE /api/v1/accounts/:username",
      "GET /api/v1/accounts/:username/accesshash",
      "POST /api/v1/accounts/:username/accesshash",
      "GET /api/v1/tokens",
      "POST /api/v1/tokens",
      "GET /api/v1/tokens/:name",
      "PUT /api/v1/tokens/:name",
      "DELETE /api/v1/tokens/:name",
      "GET /api/v1/settings",
      "PUT /api/v1/settings/:key",
      "GET /api/v1/audit",
      "POST /api/v1/session",
      "GET /api/v1/session",
      "DELETE /api/v1/session",
    ]) {
      expect(names).toContain(expected);
    }
    for (const route of served) {
      const operations = doc.paths[openApiPath(route.url)];
      expect(operations, `${route.url} is missing from the document`).toBeDefined();
      expect(operations[route.method.toLowerCase()], `${route.method} ${route.url} is missing from the document`).toBeDefined();
    }
  });

  it("lists nothing the server does not serve (no 404 or 405 for a documented operation)", async () => {
    const served = new Set((await servedRoutes()).map((route) => `${route.method} ${openApiPath(route.url)}`));
    let count = 0;
    for (const [path, operations] of Object.entries<Record<string, unknown>>(doc.paths)) {
      for (const method of Object.keys(operations)) {
        expect(served, `${method} ${path}`).toContain(`${method.toUpperCase()} ${path}`);
        const response = await app.inject({ method: method.toUpperCase() as Method, url: path.replace(/\{[^}]+\}/g, "probe"), remoteAddress: "192.0.2.201" });
        expect(response.statusCode, `${method} ${path}`).not.toBe(405);
        expect(response.json().error, `${method} ${path}`).not.toMatch(/^No such endpoint/);
        count++;
      }
    }
    expect(count).toBe(served.size);
  });

  it("documents each operation: summary, tag, path parameters, a success response and the error envelope", () => {
    for (const [path, operations] of Object.entries<Record<string, any>>(doc.paths)) {
      for (const [method, operation] of Object.entries<any>(operations)) {
        const where = `${method} ${path}`;
        expect(operation.summary, where).toEqual(expect.any(String));
        expect(operation.tags?.length, where).toBeGreaterThan(0);
        for (const [, name] of path.matchAll(/\{([^}]+)\}/g)) {
          expect(operation.parameters, where).toEqual(expect.arrayContaining([expect.objectContaining({ name, in: "path", required: true })]));
        }
        const statuses = Object.keys(operation.responses);
        const success = statuses.filter((status) => /^2\d\d$/.test(status));
        expect(success.length, where).toBeGreaterThan(0);
        for (const status of success) {
          const schema = operation.responses[status].content["application/json"].schema;
          expect(schema.required, where).toEqual(["error", "msg", "status"]);
          expect(schema.properties.status, where).toMatchObject({ enum: ["success"] });
        }
        for (const status of ["400", "401", "403", "404", "429"]) {
          const schema = operation.responses[status]?.content?.["application/json"]?.schema;
          expect(schema, `${where} ${status}`).toBeDefined();
          expect(schema.properties.status, `${where} ${status}`).toMatchObject({ enum: ["error"] });
          expect(schema.properties.msg, `${where} ${status}`).toMatchObject({ enum: [""] });
        }
      }
    }
  });

  it("documents the request bodies the routes validate", () => {
    const create = doc.paths["/api/v1/access_hashes"].post.requestBody.content["application/json"].schema;
    expect(create.required).toEqual(expect.arrayContaining(["name", "ip"]));
    expect(Object.keys(create.properties)).toEqual(expect.arrayContaining(["name", "ip", "expires_at", "user"]));
    const created = doc.paths["/api/v1/access_hashes"].post.responses["201"].content["application/json"].schema.properties.msg;
    expect(created.required).toEqual(expect.arrayContaining(["id", "name", "ip", "access_hash"]));
    // The list never has the secret, even in its schema.
    const listed = doc.paths["/api/v1/access_hashes"].get.responses["200"].content["application/json"].schema.properties.msg.items;
    expect(Object.keys(listed.properties)).toContain("prefix");
    expect(Object.keys(listed.properties)).not.toContain("access_hash");
    const update = doc.paths["/api/v1/accounts/{username}"].put.requestBody.content["application/json"].schema;
    expect(Object.keys(update.properties).sort()).toEqual(["acls", "password", "reseller", "suspended"]);
  });

  it("declares every way to authenticate, and marks public operations as needing none", async () => {
    expect(Object.keys(doc.components.securitySchemes).sort()).toEqual(["accessHashBearer", "accessHashCookie", "basic", "whmToken"]);
    expect(doc.components.securitySchemes.accessHashCookie).toEqual({ type: "apiKey", in: "cookie", name: "access_hash" });
    expect(doc.security.length).toBeGreaterThan(0);
    const publicRoutes = registered.filter((route) => route.public && route.method !== "HEAD" && doc.paths[openApiPath(route.url)]?.[route.method.toLowerCase()] !== undefined);
    expect(publicRoutes.map((route) => `${route.method} ${route.url}`)).toEqual(expect.arrayContaining(["POST /api/v1/session"]));
    for (const route of publicRoutes) {
      expect(doc.paths[openApiPath(route.url)][route.method.toLowerCase()].security, `${route.method} ${route.url}`).toEqual([]);
      // And it really needs none.
      const response = await app.inject({ method: route.method as Method, url: concrete(route.url), remoteAddress: "192.0.2.202" });
      expect(response.statusCode, `${route.method} ${route.url}`).not.toBe(401);
    }
    // Operations that are not public inherit the document's security (or name their own).
    const status = doc.paths["/api/v1/system/status"].get;
    expect(status.security === undefined || status.security.length > 0).toBe(true);
    expect((await app.inject({ method: "GET", url: "/api/v1/system/status", remoteAddress: "192.0.2.203" })).statusCode).toBe(401);
  });

  it("is the same document whoever asks, and reveals no account data", async () => {
    await keyhold.accounts.create(CLI_ACTOR, { username: "secretive", password: "secretive-password-1", domain: "secretive.example.com" });
    const asRoot = await app.inject({ method: "GET", url: "/api/v1/openapi.json", headers: authorization(ROOT) });
    expect(asRoot.json()).toEqual(doc);
    expect(asRoot.body).not.toContain("secretive");
    expect(asRoot.body).not.toContain(ROOT_PASSWORD);
  });
});

describe("GET /api/docs", () => {
  it("returns a script-free HTML page that mentions every documented path and operation", async () => {
    const response = await app.inject({ method: "GET", url: "/api/docs", remoteAddress: "198.51.100.1" });
    expect(response.statusCode).toBe(200);
    expect(response.headers["content-type"]).toMatch(/^text\/html/);
    expect(String(response.headers["content-security-policy"])).toContain("default-src 'none'");
    const html = response.body;
    expect(html).toMatch(/^<!doctype html>/i);
    expect(html).not.toMatch(/<script/i);
    expect(html).toContain("/api/v1/openapi.json");
    expect(html).toContain(KEYHOLD_VERSION);
    for (const [path, operations] of Object.entries<Record<string, any>>(doc.paths)) {
      expect(html, path).toContain(`<code>${path}</code>`);
      for (const [method, operation] of Object.entries<any>(operations)) {
        const heading = `<span class="m">${method.toUpperCase()}</span> <code>${path}</code>`;
        expect(html, `${method} ${path}`).toContain(heading);
        expect(html).toContain(escapeHtml(operation.summary));
      }
    }
    // Bodies list their fields.
    expect(html).toContain("<code>expires_at</code>");
  });

  it("mentions every REST route the server registers", async () => {
    const html = (await app.inject({ method: "GET", url: "/api/docs" })).body;
    for (const route of await servedRoutes()) {
      expect(html, `${route.method} ${route.url}`).toContain(`<span class="m">${route.method}</span> <code>${openApiPath(route.url)}</code>`);
    }
  });
});

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
