import { randomBytes } from "node:crypto";
import type { FastifyInstance, LightMyRequestResponse } from "fastify";
import { createKeyhold, type Keyhold, type KeyholdOptions } from "../src/core/keyhold.js";
import { SecretBox } from "../src/core/secret-box.js";
import { PasswordHasher } from "../src/core/password.js";
import type { Clock } from "../src/core/clock.js";
import { buildServer } from "../src/http/server.js";
import type { HttpOptions } from "../src/http/context.js";
import { openSqliteStore } from "../src/store/sqlite.js";
import type { Store } from "../src/core/storage/store.js";
import { CLI_ACTOR } from "../src/core/actor.js";

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
  if ("basic" in auth) return { authorization: `Basic ${Buffer.from(`${auth.basic[0]}:${auth.basic[1]}`).toString("base64")}` };
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
  readonly http?: Partial<HttpOptions>;
  readonly keyhold?: Partial<KeyholdOptions>;
  readonly settings?: Record<string, string>;
}

/** Keyhold on a private in-memory SQLite store, with root created and a hand-moved clock. */
export async function createTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const clock = new ManualClock();
  const store = await openSqliteStore(":memory:");
  const keyhold = await createKeyhold({ store, secretBox: new SecretBox(randomBytes(32)), clock, passwordHasher: TEST_PASSWORD_HASHER, ...options.keyhold });
  await keyhold.accounts.ensureRoot(ROOT_PASSWORD);
  for (const [key, value] of Object.entries(options.settings ?? {})) await keyhold.settings.set(CLI_ACTOR, key, value);
  const app = buildServer(keyhold, { trustProxy: [], insecureHttp: false, bodyLimit: 1024 * 1024, logLevel: "silent", ...options.http });
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
