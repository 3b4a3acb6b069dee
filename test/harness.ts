import { randomBytes } from "node:crypto";
import type { AddressInfo } from "node:net";
import { expect } from "vitest";
import type { FastifyInstance, LightMyRequestResponse } from "fastify";
import { createKeyhold, type Keyhold, type KeyholdOptions } from "../src/core/keyhold.js";
import { SecretBox } from "../src/core/secret-box.js";
import { PasswordHasher } from "../src/core/credentials/password.js";
import type { Clock } from "../src/core/clock.js";
import { buildServer, type ServerParts } from "../src/http/server.js";
import type { HttpOptions } from "../src/http/context.js";
import { openSqliteStore } from "../src/store/sqlite.js";
import type { Store } from "../src/core/storage/store.js";
import { CLI_ACTOR } from "../src/core/actor.js";

// The shared harness of the in-process suites, and the fixtures they would otherwise each copy:
// starting Keyhold, credentials and their headers, the WHM calls and accounts most tests begin
// with. One copy here means a change to how tests start or log in is made once, and a suite's
// own file shows only what it tests. Suites that run the real server or CLI use server-process.ts.

export const ROOT_PASSWORD = "root-password-1";

/**
 * In-process suites hash thousands of passwords; scrypt at 2^10 instead of 2^15 makes each
 * ~1 ms instead of ~50 ms. The production cost is tested in password.test.ts and by every
 * suite that starts a real server process.
 */
export const TEST_PASSWORD_HASHER = new PasswordHasher({ logN: 10, r: 8, p: 1 });

/** A clock tests move by hand. */
export class ManualClock implements Clock {
  constructor(public current = Date.UTC(2026, 10, 22, 12, 0, 0)) {}
  now(): number {
    return this.current;
  }
  advance(ms: number): void {
    this.current += ms;
  }
}

/** The HTTP options every in-process suite starts from: no trusted proxy, no secrets over plain HTTP to other machines, 1 MiB bodies, no log. */
export const TEST_HTTP: HttpOptions = { trustProxy: [], insecureHttp: false, bodyLimit: 1024 * 1024, logLevel: "silent" };

// ---------------------------------------------------------------------------------------------
// Starting Keyhold

export interface TestKeyholdOptions extends Partial<KeyholdOptions> {
  /** Whether root is created with ROOT_PASSWORD first (it is unless false). */
  readonly root?: boolean;
}

export interface TestKeyhold {
  readonly keyhold: Keyhold;
  /** The store under `keyhold`, for tests that check what was (or was not) written. */
  readonly store: Store;
  /** The hand-moved clock the keyhold runs on, unless `options.clock` replaced it. */
  readonly clock: ManualClock;
}

/**
 * Keyhold on a private in-memory SQLite store with a random key, a ManualClock and the cheap
 * password hasher, root created with ROOT_PASSWORD. Each option given replaces its default, and
 * one given as undefined leaves Keyhold's own (the system clock, the production cost). The
 * domain alone, for suites that build their own server (an onRoute hook, a bad option) or none.
 */
export async function createTestKeyhold(options: TestKeyholdOptions = {}): Promise<TestKeyhold> {
  const { root = true, ...keyholdOptions } = options;
  const clock = new ManualClock();
  const store = keyholdOptions.store ?? (await openSqliteStore(":memory:"));
  const keyhold = await createKeyhold({ store, secretBox: new SecretBox(randomBytes(32)), clock, passwordHasher: TEST_PASSWORD_HASHER, ...keyholdOptions });
  if (root) await keyhold.accounts.ensureRoot(ROOT_PASSWORD);
  return { keyhold, store, clock };
}

export interface TestApp {
  readonly app: FastifyInstance;
  readonly keyhold: Keyhold;
  /** The store under `keyhold`, for tests that check what was (or was not) written. */
  readonly store: Store;
  readonly clock: ManualClock;
  /** Calls a WHM API 1 function in process and returns the parsed body and status. */
  whm(fn: string, params?: Record<string, string | string[]>, auth?: Auth, remoteAddress?: string): Promise<WhmResult>;
  close(): Promise<void>;
}

export type Auth = { basic: [string, string] } | { whm: [string, string] } | { header: string } | null;

export interface WhmResult {
  readonly status: number;
  readonly body: { data: any; metadata: { command: string | null; reason: string; result: 0 | 1; version: number }; [key: string]: any };
  readonly response: LightMyRequestResponse;
}

export const ROOT: Auth = { basic: ["root", ROOT_PASSWORD] };

export function authorization(auth: Auth): Record<string, string> {
  if (auth === null) return {};
  if ("basic" in auth) return { authorization: basicHeader(auth.basic[0], auth.basic[1]) };
  if ("whm" in auth) return { authorization: `whm ${auth.whm[0]}:${auth.whm[1]}` };
  return { authorization: auth.header };
}

/** Form-encodes parameters the way cPanel::PublicAPI does (repeated keys for lists). */
export function form(params: Record<string, string | string[]>): string {
  const pairs: string[] = [];
  for (const [key, value] of Object.entries(params)) {
    for (const item of Array.isArray(value) ? value : [value]) pairs.push(`${encodeURIComponent(key)}=${encodeURIComponent(item)}`);
  }
  return pairs.join("&");
}

export interface TestAppOptions {
  /** Replaces TEST_HTTP's fields. */
  readonly http?: Partial<HttpOptions>;
  readonly keyhold?: Partial<KeyholdOptions>;
  readonly settings?: Record<string, string>;
  /** What buildServer takes besides its options: access rules, gateway mode. */
  readonly parts?: ServerParts;
}

/** Keyhold on a private in-memory SQLite store, with root created and a hand-moved clock, ready for app.inject. */
export async function createTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const { keyhold, store, clock } = await createTestKeyhold(options.keyhold);
  for (const [key, value] of Object.entries(options.settings ?? {})) await keyhold.settings.set(CLI_ACTOR, key, value);
  const app = buildServer(keyhold, { ...TEST_HTTP, ...options.http }, options.parts);
  await app.ready();
  return {
    app,
    keyhold,
    store,
    clock,
    async whm(fn, params = {}, auth = ROOT, remoteAddress = "127.0.0.1") {
      const response = await app.inject({
        method: "POST",
        url: `/json-api/${fn}`,
        headers: { "content-type": "application/x-www-form-urlencoded", ...authorization(auth) },
        payload: form({ "api.version": "1", ...params }),
        remoteAddress,
      });
      return { status: response.statusCode, body: response.json(), response };
    },
    async close() {
      await app.close();
      await keyhold.close();
    },
  };
}

/** Has a built app listen on an ephemeral loopback port, for suites that need real sockets; returns the port. */
export async function listenOnLoopback(app: FastifyInstance): Promise<number> {
  await app.listen({ host: "127.0.0.1", port: 0 });
  return (app.server.address() as AddressInfo).port;
}

// ---------------------------------------------------------------------------------------------
// Credentials

/** The password every fixture account gets unless told otherwise. */
export function passwordOf(username: string): string {
  return `${username}-password-1`;
}

/** HTTP Basic, with the fixture password unless another is given. */
export function basic(username: string, password = passwordOf(username)): Auth {
  return { basic: [username, password] };
}

/** `Authorization: whm user:secret`, the secret an API token or an access hash. */
export function whm(username: string, secret: string): Auth {
  return { whm: [username, secret] };
}

/** The value of a Basic Authorization header. */
export function basicHeader(username: string, password: string): string {
  return `Basic ${b64(`${username}:${password}`)}`;
}

/** `{ authorization: "whm user:secret" }`, for requests built by hand (sockets, /auth/request). */
export function whmHeader(username: string, secret: string): Record<string, string> {
  return authorization(whm(username, secret));
}

/** UTF-8 text in base64, as Basic credentials carry it. */
export function b64(text: string): string {
  return Buffer.from(text, "utf8").toString("base64");
}

// ---------------------------------------------------------------------------------------------
// Calls and answers

/**
 * GET /json-api/version with one Authorization header value, from one address: the cheapest
 * authenticated call, for suites counting failed logins.
 */
export function whmVersion(t: TestApp, authorizationValue: string, remoteAddress: string): Promise<LightMyRequestResponse> {
  return t.app.inject({ method: "GET", url: "/json-api/version?api.version=1", headers: { authorization: authorizationValue }, remoteAddress });
}

/** Only the HTTP status of a WHM call. */
export async function whmStatus(t: TestApp, fn: string, auth: Auth, remoteAddress = "127.0.0.1", params: Record<string, string> = {}): Promise<number> {
  return (await t.whm(fn, params, auth, remoteAddress)).status;
}

/** How many accounts the store holds, read from the store itself (to see that nothing was written). */
export async function accountCount(t: TestApp): Promise<number> {
  return (await t.store.listAccounts()).length;
}

/** The test clock in Unix seconds, as expiry times are given. */
export function nowSeconds(t: { readonly clock: Clock }): number {
  return Math.floor(t.clock.now() / 1000);
}

// ---------------------------------------------------------------------------------------------
// Accounts

export interface AccountOptions {
  /** passwordOf(username) unless given. */
  readonly password?: string;
  /** A reseller's privileges, set after it is created (WHM's initial ones unless given). */
  readonly acls?: readonly string[];
  /** A user's owner (root unless given). */
  readonly owner?: string;
}

export interface AccountFixtureOptions {
  /**
   * "whm" (the default): as root through WHM's createacct (and setacls), the way a client does.
   * "core": straight through `keyhold.accounts` as the CLI does, for suites that want no
   * request before the ones they test.
   */
  readonly via?: "whm" | "core";
  /** How a WHM answer is checked; by default its result must be 1 (its reason is the message). */
  readonly expectOk?: (result: WhmResult, command: string) => void;
}

export interface AccountFixtures {
  /** A reseller `username` with the fixture password and the domain `username.example.com`. */
  createReseller(username: string, options?: AccountOptions): Promise<void>;
  /** A plain user `username` with the fixture password and the domain `username.example.com`. */
  createUser(username: string, options?: AccountOptions): Promise<void>;
  /** Replaces a reseller's privileges. */
  setAcls(username: string, acls: readonly string[]): Promise<void>;
}

function expectResultOne(result: WhmResult): void {
  expect(result.body.metadata.result, result.body.metadata.reason).toBe(1);
}

/**
 * The accounts a suite's tests start from, created on whichever app `current` returns when they
 * are called (as restCaller does), so a file binds them once for its `t`. Fails the test when
 * the account cannot be made.
 */
export function accountFixtures(current: () => TestApp, fixture: AccountFixtureOptions = {}): AccountFixtures {
  const check = fixture.expectOk ?? expectResultOne;
  const viaCore = fixture.via === "core";

  async function create(username: string, options: AccountOptions, reseller: boolean): Promise<void> {
    const t = current();
    const account = { username, password: options.password ?? passwordOf(username), domain: `${username}.example.com` };
    const owner: Record<string, string> = options.owner === undefined ? {} : { owner: options.owner };
    if (viaCore) await t.keyhold.accounts.create(CLI_ACTOR, { ...account, ...(reseller ? { reseller: true } : {}), ...owner });
    else check(await t.whm("createacct", { ...account, ...(reseller ? { reseller: "1" } : {}), ...owner }), "createacct");
    if (reseller && options.acls !== undefined) await setAcls(username, options.acls);
  }

  async function setAcls(username: string, acls: readonly string[]): Promise<void> {
    const t = current();
    if (viaCore) {
      await t.keyhold.accounts.setAcls(CLI_ACTOR, username, acls);
      return;
    }
    const flags = Object.fromEntries(acls.map((acl) => [`acl-${acl}`, "1"]));
    check(await t.whm("setacls", { reseller: username, ...flags }), "setacls");
  }

  return {
    createReseller: (username, options = {}) => create(username, options, true),
    createUser: (username, options = {}) => create(username, options, false),
    setAcls,
  };
}
