/**
 * `keyhold/client`: a typed client for Keyhold's WHM API 1 (`/json-api/<fn>`) and REST API
 * (`/api/v1/...`), on Node's global `fetch`. No secret ever appears in a thrown error's message.
 */

export type KeyholdCredential =
  | { kind: "api-token"; user: string; token: string }
  | { kind: "whm-access-hash"; user: string; hash: string }
  | { kind: "ip-access-hash"; accessHash: string }
  | { kind: "basic"; user: string; password: string };

export interface RetryOptions {
  /** Attempts in all, the first included (default 3). */
  attempts?: number;
  /** The longest wait honoured, in seconds (default 30): a longer `Retry-After` is not waited for. */
  maxWaitSeconds?: number;
}

export interface KeyholdClientOptions {
  baseUrl: string;
  credential: KeyholdCredential;
  /** Attempts in all, or finer retry options; 1 (or `{ attempts: 1 }`) turns retries off. */
  retries?: number | RetryOptions;
  fetch?: typeof fetch;
  /** Waits the given number of seconds (for tests); default a real timer. */
  sleep?: (seconds: number) => Promise<void>;
  /** Extra headers on every request (a User-Agent, say). */
  headers?: Record<string, string>;
}

/** WHM API 1's envelope. */
export interface WhmResponse<T = unknown> {
  data: T;
  metadata: { command: string | null; reason: string; result: 0 | 1; version: 1 };
  [topLevel: string]: unknown;
}

/** An HTTP-level failure: a status that is not 2xx, with the server's message. */
export class KeyholdApiError extends Error {
  override readonly name: string = "KeyholdApiError";
  constructor(
    message: string,
    readonly status: number,
    /** Seconds from `Retry-After`, when the server sent one. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}

/** A WHM API 1 function that answered `result: 0`; `reason` is WHM's reason string. */
export class WhmError extends Error {
  override readonly name: string = "WhmError";
  constructor(
    readonly command: string | null,
    readonly reason: string,
    readonly response: WhmResponse,
  ) {
    super(`${command ?? "WHM API"} failed: ${reason}`);
  }
}

type Params = Record<string, string | number | boolean | readonly (string | number)[] | undefined | null>;

const DEFAULT_ATTEMPTS = 3;
const DEFAULT_MAX_WAIT = 30;

/** WHM functions that only read: safe to retry after a 503 (a 429 is always retried). */
const WHM_READS = new Set(["version", "listaccts", "listresellers", "myprivs", "applist", "loadavg", "api_token_list", "api_token_get_details", "get_tweaksetting"]);

function credentialHeaders(credential: KeyholdCredential): Record<string, string> {
  switch (credential.kind) {
    case "api-token":
      return { authorization: `whm ${credential.user}:${credential.token}` };
    case "whm-access-hash":
      return { authorization: `WHM ${credential.user}:${credential.hash.replace(/\s+/g, "")}` };
    case "basic":
      return { authorization: `Basic ${Buffer.from(`${credential.user}:${credential.password}`, "utf8").toString("base64")}` };
    case "ip-access-hash":
      return { cookie: `access_hash=${credential.accessHash}` };
  }
}

/** The secrets of a credential, to scrub from any message that quotes the server. */
function secretsOf(credential: KeyholdCredential): string[] {
  switch (credential.kind) {
    case "api-token":
      return [credential.token];
    case "whm-access-hash":
      return [credential.hash, credential.hash.replace(/\s+/g, "")];
    case "basic":
      return [credential.password];
    case "ip-access-hash":
      return [credential.accessHash];
  }
}

/** WHM's form encoding: lists as `name-0`, `name-1`, … (`acl-0=…`). */
function whmForm(params: Params): URLSearchParams {
  const form = new URLSearchParams({ "api.version": "1" });
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined || value === null) continue;
    if (Array.isArray(value)) (value as readonly (string | number)[]).forEach((item, index) => form.append(`${key}-${index}`, String(item)));
    else form.append(key, typeof value === "boolean" ? (value ? "1" : "0") : String(value));
  }
  return form;
}

/** `Retry-After` in seconds (delta-seconds or an HTTP date); undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | undefined {
  if (value === null || value.trim() === "") return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - now) / 1000));
}

interface RawRequest {
  method: "GET" | "POST" | "PUT" | "DELETE";
  path: string;
  query?: URLSearchParams;
  body?: { type: "form"; value: URLSearchParams } | { type: "json"; value: unknown };
  /** Whether a 503 may be retried: the request changes nothing. */
  idempotent: boolean;
}

export class KeyholdClient {
  readonly whm: WhmApi;
  readonly rest: RestApi;
  readonly #base: string;
  readonly #credential: KeyholdCredential;
  readonly #fetch: typeof fetch;
  readonly #sleep: (seconds: number) => Promise<void>;
  readonly #attempts: number;
  readonly #maxWait: number;
  readonly #headers: Record<string, string>;

  constructor(options: KeyholdClientOptions) {
    this.#base = options.baseUrl.replace(/\/+$/, "");
    this.#credential = options.credential;
    this.#fetch = options.fetch ?? globalThis.fetch;
    this.#sleep = options.sleep ?? ((seconds) => new Promise((resolve) => setTimeout(resolve, seconds * 1000)));
    const retries = typeof options.retries === "number" ? { attempts: options.retries } : (options.retries ?? {});
    this.#attempts = Math.max(1, Math.floor(retries.attempts ?? DEFAULT_ATTEMPTS));
    this.#maxWait = retries.maxWaitSeconds ?? DEFAULT_MAX_WAIT;
    this.#headers = options.headers ?? {};
    this.whm = new WhmApi(this);
    this.rest = new RestApi(this);
  }

  /** The message with every secret of the credential replaced by `***`. */
  scrub(message: string): string {
    let out = message;
    for (const secret of secretsOf(this.#credential)) if (secret.length > 0) out = out.split(secret).join("***");
    return out;
  }

  /**
   * Sends one request, retrying a 429 (always: Keyhold answers 429 only from authentication,
   * before anything is done) and a 503 (only when `idempotent`), honouring `Retry-After`.
   * @internal
   */
  async send(request: RawRequest): Promise<{ status: number; headers: Headers; body: unknown }> {
    const url = `${this.#base}${request.path}${request.query !== undefined && [...request.query].length > 0 ? `?${request.query}` : ""}`;
    const headers: Record<string, string> = { accept: "application/json", ...this.#headers, ...credentialHeaders(this.#credential) };
    let body: string | undefined;
    if (request.body?.type === "form") {
      headers["content-type"] = "application/x-www-form-urlencoded";
      body = request.body.value.toString();
    } else if (request.body?.type === "json") {
      headers["content-type"] = "application/json";
      body = JSON.stringify(request.body.value);
    }
    for (let attempt = 1; ; attempt++) {
      let response: Response;
      try {
        response = await this.#fetch(url, { method: request.method, headers, ...(body === undefined ? {} : { body }) });
      } catch (error) {
        // A network error's message names only the URL, never a header; scrub anyway.
        throw new KeyholdApiError(this.scrub(`Could not reach Keyhold at ${this.#base}: ${(error as Error).message ?? String(error)}`), 0);
      }
      const text = await response.text();
      let parsed: unknown = text;
      try {
        parsed = text === "" ? null : JSON.parse(text);
      } catch {
        // not JSON: kept as text
      }
      const retryable = response.status === 429 || (response.status === 503 && request.idempotent);
      const wait = parseRetryAfter(response.headers.get("retry-after")) ?? 1;
      if (retryable && attempt < this.#attempts && wait <= this.#maxWait) {
        await this.#sleep(wait);
        continue;
      }
      return { status: response.status, headers: response.headers, body: parsed };
    }
  }

  /** The server's message in an error answer of either envelope. */
  messageOf(body: unknown, status: number): string {
    if (body !== null && typeof body === "object") {
      const record = body as { error?: unknown; metadata?: { reason?: unknown } };
      if (typeof record.error === "string" && record.error !== "") return this.scrub(record.error);
      if (typeof record.metadata?.reason === "string") return this.scrub(record.metadata.reason);
    }
    return `Keyhold answered HTTP ${status}`;
  }
}

/** WHM API 1: `client.whm.call(fn, params)` and a typed wrapper per function Keyhold serves. */
export class WhmApi {
  constructor(readonly client: KeyholdClient) {}

  /** Calls a function; a non-2xx status throws KeyholdApiError, `result: 0` throws WhmError. */
  async call<T = unknown>(fn: string, params: Params = {}): Promise<WhmResponse<T>> {
    const answer = await this.client.send({ method: "POST", path: `/json-api/${encodeURIComponent(fn)}`, body: { type: "form", value: whmForm(params) }, idempotent: WHM_READS.has(fn) });
    if (answer.status < 200 || answer.status >= 300) {
      throw new KeyholdApiError(this.client.messageOf(answer.body, answer.status), answer.status, parseRetryAfter(answer.headers.get("retry-after")));
    }
    const envelope = answer.body as WhmResponse<T> | null;
    if (envelope === null || typeof envelope !== "object" || typeof envelope.metadata !== "object") {
      throw new KeyholdApiError(`Keyhold's answer to ${fn} is not a WHM API 1 envelope`, answer.status);
    }
    if (envelope.metadata.result !== 1) {
      const reason = this.client.scrub(String(envelope.metadata.reason));
      throw new WhmError(envelope.metadata.command, reason, { ...envelope, metadata: { ...envelope.metadata, reason } } as WhmResponse);
    }
    return envelope;
  }

  version() {
    return this.call<{ version: string; keyhold: string }>("version");
  }
  myprivs() {
    return this.call<{ privileges: Array<Record<string, 0 | 1>> }>("myprivs");
  }
  applist() {
    return this.call<{ app: string[] }>("applist");
  }
  loadavg() {
    return this.call<{ one: string; five: string; fifteen: string }>("loadavg");
  }
  listaccts(params: { search?: string; searchtype?: string } = {}) {
    return this.call<{ acct: Array<Record<string, unknown> & { user: string; domain: string }> }>("listaccts", params);
  }
  listresellers() {
    return this.call<{ reseller: string[] }>("listresellers");
  }
  createacct(params: { username: string; password: string; domain: string; reseller?: boolean; owner?: string } & Params) {
    return this.call<Record<string, unknown>>("createacct", params);
  }
  removeacct(user: string) {
    return this.call<Record<string, unknown>>("removeacct", { user });
  }
  suspendacct(user: string, reason?: string) {
    return this.call<Record<string, unknown>>("suspendacct", { user, reason });
  }
  unsuspendacct(user: string) {
    return this.call<Record<string, unknown>>("unsuspendacct", { user });
  }
  passwd(user: string, password: string) {
    return this.call<Record<string, unknown>>("passwd", { user, password });
  }
  setupreseller(user: string) {
    return this.call<Record<string, unknown>>("setupreseller", { user });
  }
  unsetupreseller(user: string) {
    return this.call<Record<string, unknown>>("unsetupreseller", { user });
  }
  /** `acls` as names; each becomes `acl-<name>=1`. */
  setacls(reseller: string, acls: readonly string[]) {
    const params: Params = { reseller };
    for (const acl of acls) params[`acl-${acl}`] = 1;
    return this.call<Record<string, unknown>>("setacls", params);
  }
  get_tweaksetting(key: string) {
    return this.call<{ tweaksetting: { key: string; value: unknown } }>("get_tweaksetting", { key });
  }
  set_tweaksetting(key: string, value: string | number) {
    return this.call<Record<string, unknown>>("set_tweaksetting", { key, value });
  }
  accesshash(params: { user?: string; generate?: boolean } = {}) {
    return this.call<{ accesshash: string }>("accesshash", params);
  }
  api_token_create(params: { token_name: string; acl?: readonly string[]; expires_at?: number; whitelist_ip?: readonly string[] }) {
    return this.call<WhmTokenRecord & { token: string }>("api_token_create", params);
  }
  api_token_list() {
    return this.call<{ tokens: Record<string, WhmTokenRecord & { has_full_access: 0 | 1; acls: Record<string, 0 | 1>; last_used_at: number | null; last_used_ip: string | null }> }>("api_token_list");
  }
  api_token_get_details(token: string) {
    return this.call<(WhmTokenRecord & { last_used_at: number | null; last_used_ip: string | null }) | null>("api_token_get_details", { token });
  }
  api_token_update(params: { token_name: string; new_name?: string; acl?: readonly string[]; expires_at?: number | ""; whitelist_ip?: readonly string[] }) {
    return this.call<WhmTokenRecord>("api_token_update", params);
  }
  api_token_revoke(tokenNames: string | readonly string[]) {
    return this.call<Record<string, never>>("api_token_revoke", { token_name: typeof tokenNames === "string" ? [tokenNames] : tokenNames });
  }
}

export interface WhmTokenRecord {
  name: string;
  create_time: number | null;
  expires_at: number | null;
  acls?: string[];
  whitelist_ips?: string[] | null;
}

export interface RestToken {
  user: string;
  name: string;
  created_at: number;
  expires_at: number | null;
  expired: boolean;
  full_access: boolean;
  acls: string[] | null;
  effective_acls: string[];
  whitelist_ips: string[] | null;
  last_used_at: number | null;
  last_used_ip: string | null;
  origin: string;
  [more: string]: unknown;
}

export interface RestIpAccessHash {
  id: string;
  user: string;
  name: string;
  ip: string;
  prefix: string;
  created_at: number;
  expires_at: number | null;
  expired: boolean;
  last_used_at: number | null;
  last_used_ip: string | null;
}

export interface RestAccount {
  user: string;
  [field: string]: unknown;
}

export interface VerifyRequest {
  authorization?: string;
  access_hash?: string;
  ip: string;
  acls?: readonly string[];
}

export type VerifyCode = "VALID" | "NOT_FOUND" | "EXPIRED" | "IP_NOT_ALLOWED" | "ACL_DENIED" | "LOCKED_OUT" | "ACCOUNT_SUSPENDED";

export interface VerifyResult {
  valid: boolean;
  code: VerifyCode;
  user?: string;
  role?: string;
  acls?: string[];
  credential?: { kind: string; id: string | null; name: string | null };
  retry_after?: number;
  reason?: string;
}

export interface SystemStatus {
  status: string;
  version: string;
  uptime_seconds: number;
  store: string;
  [count: string]: unknown;
}

/** The REST API under `/api/v1`: `msg` of PUQ's `{error, msg, status}` envelope, or KeyholdApiError. */
export class RestApi {
  constructor(readonly client: KeyholdClient) {}

  /** Any REST call; resolves with the envelope's `msg`. */
  async request<T = unknown>(method: RawRequest["method"], path: string, options: { query?: Record<string, string | undefined>; body?: unknown } = {}): Promise<T> {
    const query = new URLSearchParams();
    for (const [key, value] of Object.entries(options.query ?? {})) if (value !== undefined) query.append(key, value);
    const answer = await this.client.send({
      method,
      path: `/api/v1${path.startsWith("/") ? path : `/${path}`}`,
      query,
      ...(options.body === undefined ? {} : { body: { type: "json" as const, value: options.body } }),
      // verify changes nothing but its failure counters, which a 503 (refused before counting) did not touch.
      idempotent: method === "GET" || path === "/verify",
    });
    const envelope = answer.body as { error?: string; msg?: unknown; status?: string } | null;
    if (answer.status < 200 || answer.status >= 300 || envelope === null || typeof envelope !== "object" || envelope.status !== "success") {
      throw new KeyholdApiError(this.client.messageOf(answer.body, answer.status), answer.status, parseRetryAfter(answer.headers.get("retry-after")));
    }
    return envelope.msg as T;
  }

  status() {
    return this.request<SystemStatus>("GET", "/system/status");
  }
  /** Asks whether a credential a client sent is good (needs `verify-credentials`). */
  verify(request: VerifyRequest) {
    return this.request<VerifyResult>("POST", "/verify", { body: request });
  }

  readonly accounts = {
    list: () => this.request<RestAccount[]>("GET", "/accounts"),
    get: (user: string) => this.request<RestAccount>("GET", `/accounts/${encodeURIComponent(user)}`),
    create: (body: { username: string; password?: string; domain: string; reseller?: boolean; owner?: string; [more: string]: unknown }) => this.request<RestAccount>("POST", "/accounts", { body }),
    update: (user: string, body: { password?: string; acls?: string[]; suspended?: boolean; reseller?: boolean; [more: string]: unknown }) => this.request<RestAccount>("PUT", `/accounts/${encodeURIComponent(user)}`, { body }),
    remove: (user: string) => this.request<{ user: string; removed: boolean }>("DELETE", `/accounts/${encodeURIComponent(user)}`),
    accesshash: (user: string) => this.request<{ user: string; accesshash: string; signature: string }>("GET", `/accounts/${encodeURIComponent(user)}/accesshash`),
    generateAccesshash: (user: string) => this.request<{ user: string; accesshash: string; signature: string }>("POST", `/accounts/${encodeURIComponent(user)}/accesshash`),
  };

  readonly tokens = {
    list: (user?: string) => this.request<RestToken[]>("GET", "/tokens", { query: { user } }),
    get: (name: string, user?: string) => this.request<RestToken>("GET", `/tokens/${encodeURIComponent(name)}`, { query: { user } }),
    create: (body: { name: string; acls?: string[]; expires_at?: number; whitelist_ips?: string[]; user?: string }) => this.request<RestToken & { token: string }>("POST", "/tokens", { body }),
    update: (name: string, body: Record<string, unknown>, user?: string) => this.request<RestToken>("PUT", `/tokens/${encodeURIComponent(name)}`, { body, query: { user } }),
    revoke: (name: string, user?: string) => this.request<{ name: string; revoked: boolean }>("DELETE", `/tokens/${encodeURIComponent(name)}`, { query: { user } }),
  };

  readonly accessHashes = {
    list: () => this.request<RestIpAccessHash[]>("GET", "/access_hashes"),
    get: (id: string) => this.request<RestIpAccessHash>("GET", `/access_hashes/${encodeURIComponent(id)}`),
    create: (body: { name: string; ip: string; expires_at?: number; user?: string }) => this.request<RestIpAccessHash & { access_hash: string }>("POST", "/access_hashes", { body }),
    update: (id: string, body: Record<string, unknown>) => this.request<RestIpAccessHash>("PUT", `/access_hashes/${encodeURIComponent(id)}`, { body }),
    remove: (id: string) => this.request<{ id: string; deleted: boolean }>("DELETE", `/access_hashes/${encodeURIComponent(id)}`),
  };
}
