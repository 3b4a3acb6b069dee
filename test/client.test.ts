import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KeyholdApiError, KeyholdClient, WhmError, parseRetryAfter, type KeyholdCredential } from "../src/client/index.js";
import { CLI, startServer, type ServerProcess } from "./server-process.js";

const ROOT_PASSWORD = "client-root-password-1";

/** `keyhold/client` against the real server process (run `npm run build` first). */
describe("KeyholdClient against a real server", { timeout: 60_000 }, () => {
  let dataDir: string;
  let server: ServerProcess | undefined;
  let root: KeyholdClient;
  let rootToken: string;

  const client = (credential: KeyholdCredential, extra: Partial<ConstructorParameters<typeof KeyholdClient>[0]> = {}) => new KeyholdClient({ baseUrl: server!.base, credential, ...extra });

  beforeAll(async () => {
    expect(existsSync(CLI), `${CLI} is missing: run \`npm run build\` first`).toBe(true);
    dataDir = mkdtempSync(join(tmpdir(), "keyhold-client-"));
    server = await startServer(["--data-dir", dataDir], { KEYHOLD_ROOT_PASSWORD: ROOT_PASSWORD });
    root = client({ kind: "basic", user: "root", password: ROOT_PASSWORD });
  });

  afterAll(async () => {
    await server?.stop();
    if (dataDir !== undefined) rmSync(dataDir, { recursive: true, force: true });
  });

  it("calls WHM API 1 and REST with HTTP Basic", async () => {
    const version = await root.whm.version();
    expect(version.metadata).toMatchObject({ result: 1, command: "version", version: 1 });
    expect(typeof version.data.version).toBe("string");
    const status = await root.rest.status();
    expect(status.status).toBe("ok");
  });

  it("creates an API token and authenticates with it (Authorization: whm user:token)", async () => {
    const created = await root.whm.api_token_create({ token_name: "client-test" });
    expect(created.data.name).toBe("client-test");
    rootToken = created.data.token;
    expect(rootToken).toMatch(/^[0-9A-Z]{32}$/);
    const viaToken = client({ kind: "api-token", user: "root", token: rootToken });
    const accounts = await viaToken.whm.listaccts();
    expect(accounts.data.acct.map((account) => account.user)).toContain("root");
    const list = await viaToken.whm.api_token_list();
    expect(Object.keys(list.data.tokens)).toContain("client-test");
    const details = await viaToken.whm.api_token_get_details(rootToken);
    expect(details.data?.name).toBe("client-test");
    const restTokens = await viaToken.rest.tokens.list();
    expect(restTokens.map((token) => token.name)).toContain("client-test");
  });

  it("creates an account with createacct and reads it over REST", async () => {
    const created = await root.whm.createacct({ username: "clientacct", password: "clientacct-password-1", domain: "clientacct.example.com" });
    expect(created.metadata.reason).toMatch(/Account Creation Ok/);
    const account = await root.rest.accounts.get("clientacct");
    expect(account.user).toBe("clientacct");
  });

  it("authenticates with an IP-bound access hash (cookie access_hash)", async () => {
    const created = await root.rest.accessHashes.create({ name: "client-iah", ip: "127.0.0.1" });
    expect(created.access_hash).toMatch(/^[0-9a-f]{80}$/);
    const viaHash = client({ kind: "ip-access-hash", accessHash: created.access_hash });
    expect((await viaHash.rest.status()).status).toBe("ok");
    await root.rest.accessHashes.remove(created.id);
    const error = await viaHash.rest.status().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(KeyholdApiError);
    expect((error as KeyholdApiError).status).toBe(401);
    expect((error as Error).message).not.toContain(created.access_hash);
  });

  it("authenticates with a WHM access hash (Authorization: WHM user:hash) once the setting allows it", async () => {
    await root.whm.set_tweaksetting("allow_deprecated_accesshash", 1);
    const generated = await root.whm.accesshash({ generate: true });
    const hash = generated.data.accesshash;
    expect(hash.replace(/\s+/g, "").length).toBeGreaterThan(100);
    const viaHash = client({ kind: "whm-access-hash", user: "root", hash });
    expect((await viaHash.whm.version()).metadata.result).toBe(1);
  });

  it("turns result 0 into a WhmError with WHM's reason", async () => {
    const error = await root.whm.removeacct("nosuchuser").catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(WhmError);
    const whmError = error as WhmError;
    expect(whmError.command).toBe("removeacct");
    expect(whmError.reason).toMatch(/nosuchuser/);
    expect(whmError.response.metadata.result).toBe(0);
    const unknown = await root.whm.call("no_such_function").catch((caught: unknown) => caught);
    expect(unknown).toBeInstanceOf(WhmError);
    expect((unknown as WhmError).reason).toMatch(/Unknown app \(no_such_function\)/);
  });

  it("turns REST errors into KeyholdApiError with status and message", async () => {
    const missing = await root.rest.tokens.get("no-such-token").catch((caught: unknown) => caught);
    expect(missing).toBeInstanceOf(KeyholdApiError);
    expect((missing as KeyholdApiError).status).toBe(404);
    expect((missing as Error).message.length).toBeGreaterThan(0);
    const conflict = await root.rest.tokens.create({ name: "client-test" }).catch((caught: unknown) => caught);
    expect((conflict as KeyholdApiError).status).toBe(409);
  });

  it("never puts a secret in an error message", async () => {
    const wrongToken = "ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ";
    const badToken = client({ kind: "api-token", user: "root", token: wrongToken });
    const tokenError = await badToken.whm.version().catch((caught: unknown) => caught);
    expect(tokenError).toBeInstanceOf(KeyholdApiError);
    expect((tokenError as KeyholdApiError).status).toBe(401);
    expect(String(tokenError)).not.toContain(wrongToken);
    expect((tokenError as Error).stack ?? "").not.toContain(wrongToken);
    const unreachable = new KeyholdClient({ baseUrl: "http://127.0.0.1:1", credential: { kind: "basic", user: "root", password: ROOT_PASSWORD } });
    const network = await unreachable.whm.version().catch((caught: unknown) => caught);
    expect(network).toBeInstanceOf(KeyholdApiError);
    expect(String(network)).not.toContain(ROOT_PASSWORD);
  });

  it("parses Retry-After as seconds or an HTTP date", () => {
    expect(parseRetryAfter("7")).toBe(7);
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 0)).toBe(10);
    expect(parseRetryAfter(null)).toBeUndefined();
  });

  // Last: it blocks 127.0.0.1 on this server.
  it("waits Retry-After on a real lockout's 429 and then retries", async () => {
    const wrongPassword = "definitely-wrong-password";
    const waits: number[] = [];
    const headers: Array<string | null> = [];
    const recordingFetch: typeof fetch = async (input, init) => {
      const response = await fetch(input, init);
      headers.push(response.headers.get("retry-after"));
      return response;
    };
    const guesser = client({ kind: "basic", user: "root", password: wrongPassword }, { fetch: recordingFetch, sleep: async (seconds) => void waits.push(seconds), retries: { attempts: 3, maxWaitSeconds: 3600 } });
    // Earlier tests' wrong credentials counted too: start from a clean slate.
    await client({ kind: "api-token", user: "root", token: rootToken }).rest.request("DELETE", "/brute-force");
    // Five wrong passwords: 401 each, never retried.
    for (let i = 0; i < 5; i++) {
      const error = await guesser.whm.version().catch((caught: unknown) => caught);
      expect((error as KeyholdApiError).status).toBe(401);
    }
    expect(waits).toEqual([]);
    headers.length = 0;
    // The sixth: 429 with Retry-After, waited (fake sleep) twice, then given up on.
    const locked = await guesser.whm.version().catch((caught: unknown) => caught);
    expect(locked).toBeInstanceOf(KeyholdApiError);
    expect((locked as KeyholdApiError).status).toBe(429);
    expect(headers).toHaveLength(3);
    const firstWait = Number(headers[0]);
    expect(firstWait).toBeGreaterThan(0);
    expect(waits).toEqual([Number(headers[0]), Number(headers[1])]);
    expect((locked as KeyholdApiError).retryAfterSeconds).toBe(Number(headers[2]));
    expect(String(locked)).not.toContain(wrongPassword);

    // The correct password from the blocked address: 429 too; the fake sleep lifts the block
    // (a root API token reaches the brute-force endpoint even from a blocked address), and the
    // retry succeeds.
    const admin = client({ kind: "api-token", user: "root", token: rootToken });
    const flushWaits: number[] = [];
    const patient = client(
      { kind: "basic", user: "root", password: ROOT_PASSWORD },
      {
        retries: { attempts: 3, maxWaitSeconds: 3600 },
        sleep: async (seconds) => {
          flushWaits.push(seconds);
          await admin.rest.request("DELETE", "/brute-force");
        },
      },
    );
    const version = await patient.whm.version();
    expect(version.metadata.result).toBe(1);
    expect(flushWaits).toHaveLength(1);
    expect(flushWaits[0]).toBeGreaterThan(0);
  });

  it("does not wait longer than maxWaitSeconds", async () => {
    const waits: number[] = [];
    const guesser = client({ kind: "basic", user: "root", password: "wrong-again" }, { sleep: async (seconds) => void waits.push(seconds) });
    for (let i = 0; i < 6; i++) await guesser.whm.version().catch(() => undefined);
    // The block is 15 minutes: more than the default 30 s cap, so no wait at all.
    expect(waits).toEqual([]);
    const error = await guesser.whm.version().catch((caught: unknown) => caught);
    expect((error as KeyholdApiError).status).toBe(429);
    expect((error as KeyholdApiError).retryAfterSeconds).toBeGreaterThan(30);
  });
});
