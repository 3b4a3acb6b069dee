import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI, startServer, type ServerProcess } from "./server-process.js";

const ROOT_PASSWORD = "e2e-root-password-1";
const RESELLER = "pubapi";
const RESELLER_PASSWORD = "pubapi-password-1";

interface WhmResponse {
  readonly status: number;
  readonly body: any;
}

/** Form-encodes parameters as cPanel::PublicAPI does; `api.version=1` always comes first. */
function form(params: Record<string, string>): string {
  return new URLSearchParams({ "api.version": "1", ...params }).toString();
}

/**
 * The real server process on an ephemeral port, driven over real HTTP the way cPanel::PublicAPI
 * 2.8 drives WHM (reference §8): form POSTs to /json-api/<fn>, `whm user:secret` in lower case,
 * and session logins whose security token comes from the Location header.
 */
describe("the keyhold server answers cPanel::PublicAPI like WHM does", { timeout: 30_000 }, () => {
  let dataDir: string;
  let server: ServerProcess | undefined;
  let base: string;

  beforeAll(async () => {
    expect(existsSync(CLI), `${CLI} is missing: run \`npm run build\` first`).toBe(true);
    dataDir = mkdtempSync(join(tmpdir(), "keyhold-e2e-"));
    // Resolves on the announced address; fails at once if the process dies before announcing it.
    server = await startServer(["--data-dir", dataDir], { KEYHOLD_ROOT_PASSWORD: ROOT_PASSWORD });
    base = server.base;
    expect(base).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  afterAll(async () => {
    await server?.stop();
    if (dataDir !== undefined) rmSync(dataDir, { recursive: true, force: true });
  });

  /** A WHM API 1 call as a form POST with a Content-Type, through fetch. */
  async function whm(fn: string, params: Record<string, string>, headers: Record<string, string>, prefix = ""): Promise<WhmResponse> {
    const response = await fetch(`${base}${prefix}/json-api/${fn}`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
      body: form(params),
    });
    return { status: response.status, body: await response.json() };
  }

  /**
   * A WHM API 1 call exactly as PublicAPI's whm_api sends it: the form body with no Content-Type
   * at all (fetch would add text/plain, so this goes through node:http).
   */
  function whmWithoutContentType(fn: string, params: Record<string, string>, headers: Record<string, string>): Promise<WhmResponse> {
    const body = form(params);
    return new Promise((resolve, reject) => {
      const outgoing = request(`${base}/json-api/${fn}`, { method: "POST", headers: { ...headers, "content-length": Buffer.byteLength(body) } }, (incoming) => {
        let text = "";
        incoming.setEncoding("utf8");
        incoming.on("data", (chunk: string) => (text += chunk));
        incoming.on("end", () => {
          try {
            resolve({ status: incoming.statusCode ?? 0, body: JSON.parse(text) });
          } catch (error) {
            reject(new Error(`not JSON (${incoming.statusCode}): ${text}`, { cause: error }));
          }
        });
      });
      expect(outgoing.getHeader("content-type")).toBeUndefined();
      outgoing.on("error", reject);
      outgoing.end(body);
    });
  }

  interface Session {
    readonly securityToken: string;
    readonly cookie: string;
  }

  /** PublicAPI's password login: POST /login, security token = 2nd `/`-part of Location, keep the cookies. */
  async function login(user: string, pass: string): Promise<Session> {
    const response = await fetch(`${base}/login`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ user, pass }).toString(),
      redirect: "manual",
    });
    const location = response.headers.get("location");
    expect(location, `login as ${user} answered ${response.status}`).toMatch(/^\/cpsess\d+\//);
    const securityToken = location!.split("/")[1]!;
    const cookie = response.headers
      .getSetCookie()
      .map((header) => header.split(";")[0]!)
      .join("; ");
    expect(cookie).not.toBe("");
    return { securityToken, cookie };
  }

  function viaSession(session: Session, fn: string, params: Record<string, string> = {}): Promise<WhmResponse> {
    return whm(fn, params, { cookie: session.cookie }, `/${session.securityToken}`);
  }

  const whmAuth = (user: string, secret: string) => ({ authorization: `whm ${user}:${secret}` });
  const basic = (user: string, pass: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${pass}`).toString("base64")}` });

  let token: string;

  it("answers a form POST without Content-Type, over HTTP Basic", async () => {
    const { status, body } = await whmWithoutContentType("version", {}, basic("root", ROOT_PASSWORD));
    expect(status).toBe(200);
    expect(body.metadata).toMatchObject({ command: "version", result: 1, version: 1 });
    expect(body.data.version).toEqual(expect.any(String));
  });

  it("names an unknown function the way PublicAPI recognises it", async () => {
    const { body } = await whm("no_such_function", {}, basic("root", ROOT_PASSWORD));
    expect(body.metadata.result).toBe(0);
    expect(body.metadata.reason).toMatch(/Unknown app\s+(?:\(.+\))?\s+requested/);
  });

  it("creates a reseller through a root session (createacct … reseller=1)", async () => {
    const session = await login("root", ROOT_PASSWORD);
    expect(session.securityToken).toMatch(/^cpsess\d+$/);
    const { status, body } = await viaSession(session, "createacct", { username: RESELLER, password: RESELLER_PASSWORD, domain: `${RESELLER}.example.com`, reseller: "1" });
    expect(status).toBe(200);
    expect(body.metadata.result).toBe(1);
    expect(body.metadata.reason).toMatch(/Account Creation Ok/);
    const listed = await viaSession(session, "listresellers");
    expect(JSON.stringify(listed.body.data)).toContain(RESELLER);
  });

  it("refuses a session call without the session's security token in the path", async () => {
    const session = await login("root", ROOT_PASSWORD);
    const { status, body } = await whm("version", {}, { cookie: session.cookie }, "/cpsess0000000000");
    expect(status).toBe(401);
    expect(body.metadata).toMatchObject({ command: "version", result: 0 });
  });

  it("creates an API token in the reseller's own password session", async () => {
    const session = await login(RESELLER, RESELLER_PASSWORD);
    const { status, body } = await viaSession(session, "api_token_create", { token_name: "my_token" });
    expect(status).toBe(200);
    expect(body.metadata.result).toBe(1);
    expect(body.data.name).toBe("my_token");
    expect(body.data.token).toMatch(/^[0-9A-Z]{32}$/);
    token = body.data.token;
  });

  it("refuses loadavg with a wrong token", async () => {
    const { status, body } = await whm("loadavg", {}, whmAuth(RESELLER, "this is so wrong"));
    expect(status).toBeGreaterThanOrEqual(400);
    // PublicAPI parses every body as JSON; a refusal is one too, in the WHM envelope.
    expect(body.metadata).toMatchObject({ command: "loadavg", result: 0 });
    expect(body.one).toBeUndefined();
  });

  it("answers loadavg with the right token, `one` at the top level, as PublicAPI sends it", async () => {
    const { status, body } = await whmWithoutContentType("loadavg", {}, whmAuth(RESELLER, token));
    expect(status).toBe(200);
    expect(body.one).toBeDefined();
    expect(body.five).toBeDefined();
    expect(body.fifteen).toBeDefined();
  });

  it("removes the reseller (removeacct), after which its token no longer works", async () => {
    const session = await login("root", ROOT_PASSWORD);
    const { status, body } = await viaSession(session, "removeacct", { user: RESELLER });
    expect(status).toBe(200);
    expect(body.metadata.result).toBe(1);
    expect(body.metadata.reason).toMatch(new RegExp(`${RESELLER} account removed`));
    const after = await whm("loadavg", {}, whmAuth(RESELLER, token));
    expect(after.status).toBe(401);
  });

  it("authenticates `whm root:<access hash>` once allow_deprecated_accesshash is on, and not after it is off", async () => {
    const rootBasic = basic("root", ROOT_PASSWORD);
    const enabled = await whm("set_tweaksetting", { key: "allow_deprecated_accesshash", value: "1" }, rootBasic);
    expect(enabled.body.metadata.result).toBe(1);
    const generated = await whm("accesshash", { user: "root", generate: "1" }, rootBasic);
    expect(generated.status).toBe(200);
    expect(generated.body.metadata).toMatchObject({ command: "accesshash", reason: "OK", result: 1 });
    const accesshash = generated.body.data.accesshash as string;
    expect(accesshash).toMatch(/^[0-9a-f]{960}$/);

    const call = await whmWithoutContentType("version", {}, whmAuth("root", accesshash));
    expect(call.status).toBe(200);
    expect(call.body.metadata.result).toBe(1);
    const listed = await whm("listaccts", {}, whmAuth("root", accesshash));
    expect(listed.status).toBe(200);
    expect(listed.body.metadata.result).toBe(1);

    const disabled = await whm("set_tweaksetting", { key: "allow_deprecated_accesshash", value: "0" }, rootBasic);
    expect(disabled.body.metadata.result).toBe(1);
    const refused = await whm("version", {}, whmAuth("root", accesshash));
    expect(refused.status).toBe(401);
  });

  it("shuts down cleanly on SIGTERM", async () => {
    server!.child.kill("SIGTERM");
    const [code, signal] = await server!.exited;
    expect({ code, signal }).toEqual({ code: 0, signal: null });
  });
});
