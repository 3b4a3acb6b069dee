import { createHash } from "node:crypto";
import { KeyholdApiError, KeyholdClient, type KeyholdCredential, type VerifyResult } from "../client/index.js";

/** Who the request is, as Keyhold's verify API answered. */
export interface KeyholdIdentity {
  user: string;
  role: string;
  acls: string[];
  credential: { kind: string; id: string | null; name: string | null };
}

export interface KeyholdVerifierOptions {
  /** Keyhold's address, e.g. `http://127.0.0.1:2086`. */
  baseUrl: string;
  /** The service's own credential; it needs the `verify-credentials` privilege. */
  credential: KeyholdCredential;
  /** How long a VALID answer is reused, in milliseconds (default 5000; 0 turns the cache off). */
  cacheTtlMs?: number;
  /** How long a refusal is reused, in milliseconds (default 0: never, so a fixed credential works at once). */
  negativeCacheTtlMs?: number;
  /** Entries kept at most (default 10 000); the least recently used goes first. */
  cacheMaxEntries?: number;
  /** The clock, in milliseconds (for tests). */
  now?: () => number;
  /** Passed to the client (tests, proxies). */
  fetch?: typeof fetch;
  /** Attempts of the verify call in all (default 2: one retry on 429/503 within `Retry-After` ≤ 5 s). */
  retries?: number;
  /** A ready client instead of baseUrl/credential/fetch. */
  client?: KeyholdClient;
}

/** What the incoming request presented. */
export interface Presented {
  authorization?: string | undefined;
  accessHash?: string | undefined;
  ip: string;
  acls?: readonly string[] | undefined;
}

export type Decision =
  | { ok: true; identity: KeyholdIdentity }
  | { ok: false; status: 401 | 403 | 429 | 503; message: string; retryAfterSeconds?: number; code?: string };

interface Entry {
  expires: number;
  decision: Decision;
}

/** The `access_hash` cookie of a Cookie header, or undefined. */
export function accessHashCookie(header: string | string[] | undefined): string | undefined {
  const joined = Array.isArray(header) ? header.join("; ") : header;
  if (joined === undefined) return undefined;
  for (const part of joined.split(";")) {
    const index = part.indexOf("=");
    if (index < 0) continue;
    if (part.slice(0, index).trim() === "access_hash") {
      const value = part.slice(index + 1).trim();
      try {
        return decodeURIComponent(value);
      } catch {
        return value;
      }
    }
  }
  return undefined;
}

const MESSAGES = {
  401: "Access denied: the user name or the credentials are not valid.",
  403: "Access denied: the credential lacks a privilege this operation needs.",
  429: "Too many failed logins: try again later.",
  503: "The authentication service is unavailable; try again shortly.",
} as const;

/**
 * Asks Keyhold's verify API about presented credentials, keeping VALID answers for a short
 * time. Cache keys are SHA-256 digests of the credential, address and privileges: no raw secret
 * is held as a key.
 */
export class KeyholdVerifier {
  readonly #client: KeyholdClient;
  readonly #ttl: number;
  readonly #negativeTtl: number;
  readonly #max: number;
  readonly #now: () => number;
  readonly #cache = new Map<string, Entry>();
  /** Calls in flight, so a burst with one credential asks Keyhold once. */
  readonly #pending = new Map<string, Promise<Decision>>();

  constructor(options: KeyholdVerifierOptions) {
    this.#client =
      options.client ??
      new KeyholdClient({
        baseUrl: options.baseUrl,
        credential: options.credential,
        retries: { attempts: options.retries ?? 2, maxWaitSeconds: 5 },
        ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
      });
    this.#ttl = options.cacheTtlMs ?? 5000;
    this.#negativeTtl = options.negativeCacheTtlMs ?? 0;
    this.#max = Math.max(1, options.cacheMaxEntries ?? 10_000);
    this.#now = options.now ?? Date.now;
  }

  /** Entries held now (for tests and metrics). */
  get size(): number {
    return this.#cache.size;
  }

  clear(): void {
    this.#cache.clear();
  }

  async verify(presented: Presented): Promise<Decision> {
    const authorization = presented.authorization?.trim() || undefined;
    const accessHash = presented.accessHash?.trim() || undefined;
    if (authorization === undefined && accessHash === undefined) return { ok: false, status: 401, message: "Authentication required: send an Authorization header or the access_hash cookie." };
    const acls = [...new Set(presented.acls ?? [])].sort();
    const key = createHash("sha256").update(JSON.stringify([authorization ?? null, accessHash ?? null, presented.ip, acls])).digest("base64url");
    const now = this.#now();
    const cached = this.#cache.get(key);
    if (cached !== undefined) {
      this.#cache.delete(key);
      if (cached.expires > now) {
        this.#cache.set(key, cached);
        return cached.decision;
      }
    }
    const inFlight = this.#pending.get(key);
    if (inFlight !== undefined) return inFlight;
    const pending = this.#ask({ authorization, accessHash, ip: presented.ip, acls }).finally(() => this.#pending.delete(key));
    this.#pending.set(key, pending);
    const decision = await pending;
    const ttl = decision.ok ? this.#ttl : decision.status === 401 || decision.status === 403 ? this.#negativeTtl : 0;
    if (ttl > 0) {
      this.#cache.set(key, { expires: now + ttl, decision });
      while (this.#cache.size > this.#max) this.#cache.delete(this.#cache.keys().next().value as string);
    }
    return decision;
  }

  async #ask(request: { authorization: string | undefined; accessHash: string | undefined; ip: string; acls: string[] }): Promise<Decision> {
    let result: VerifyResult;
    try {
      result = await this.#client.rest.verify({
        ...(request.authorization === undefined ? {} : { authorization: request.authorization }),
        ...(request.accessHash === undefined || request.authorization !== undefined ? {} : { access_hash: request.accessHash }),
        ip: request.ip,
        ...(request.acls.length === 0 ? {} : { acls: request.acls }),
      });
    } catch (error) {
      if (error instanceof KeyholdApiError && (error.status === 429 || error.status === 503)) {
        return { ok: false, status: error.status, message: error.message, ...(error.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: error.retryAfterSeconds }) };
      }
      // Keyhold unreachable or refusing the service's own credential: fail closed.
      return { ok: false, status: 503, message: MESSAGES[503] };
    }
    if (result.valid) {
      return { ok: true, identity: { user: result.user ?? "", role: result.role ?? "", acls: result.acls ?? [], credential: result.credential ?? { kind: "unknown", id: null, name: null } } };
    }
    if (result.code === "ACL_DENIED") return { ok: false, status: 403, message: MESSAGES[403], code: result.code };
    if (result.code === "LOCKED_OUT") {
      return { ok: false, status: 429, message: result.retry_after === undefined ? MESSAGES[429] : `Too many failed logins: try again in ${result.retry_after} seconds.`, code: result.code, ...(result.retry_after === undefined ? {} : { retryAfterSeconds: result.retry_after }) };
    }
    return { ok: false, status: 401, message: result.reason ?? MESSAGES[401], code: result.code };
  }
}
