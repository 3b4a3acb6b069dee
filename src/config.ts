import { join } from "node:path";
import { parseSyslogUrl, type SyslogTarget } from "./core/audit-forward.js";
import { invalidArgument } from "./core/errors.js";

export const DEFAULT_HTTP_PORT = 2086;
export const DEFAULT_HTTPS_PORT = 2087;

/** The flags of every command that opens the store, `serve` included (cli/context.ts declares them). */
export interface StoreFlags {
  dataDir?: string;
  database?: string;
  keyFile?: string;
}

/** Where the store and the key file that decrypts it are. */
export interface StoreLocation {
  readonly dataDir: string;
  /** Unset: SQLite in the data directory. */
  readonly databaseUrl: string | undefined;
  readonly keyFile: string;
}

/**
 * The store's location from its flags and their environment twins, a flag winning over its
 * variable: --data-dir or KEYHOLD_DATA_DIR (./data), --database or KEYHOLD_DATABASE_URL (SQLite
 * in the data directory), --key-file or KEYHOLD_KEY_FILE (keyhold.key in the data directory).
 * The one resolution `serve` and every other command use, so they always find the same store.
 */
export function resolveStoreLocation(flags: StoreFlags, env: NodeJS.ProcessEnv): StoreLocation {
  const dataDir = flags.dataDir ?? env.KEYHOLD_DATA_DIR ?? "./data";
  return {
    dataDir,
    databaseUrl: flags.database ?? env.KEYHOLD_DATABASE_URL,
    keyFile: flags.keyFile ?? env.KEYHOLD_KEY_FILE ?? join(dataDir, "keyhold.key"),
  };
}

/** --redis or KEYHOLD_REDIS_URL: the Redis that instances share brute-force counters through (none if unset or empty). */
export function resolveRedisUrl(flags: { redis?: string }, env: NodeJS.ProcessEnv): string | undefined {
  return flags.redis ?? env.KEYHOLD_REDIS_URL;
}

/** Everything `keyhold serve` is configured with, resolved once from flags and environment; where its store is first. */
export interface ServerConfig extends StoreLocation {
  readonly host: string;
  readonly port: number;
  readonly tls: { readonly certFile: string; readonly keyFile: string } | null;
  /** Redis for brute-force counters shared by several instances. */
  readonly redisUrl: string | undefined;
  /**
   * KEYHOLD_ROOT_PASSWORD, when set and not empty: the password root is given if the store has no
   * root yet. Undefined: a password is generated then, and shown once.
   */
  readonly rootPassword: string | undefined;
  /** Addresses or CIDR ranges of reverse proxies whose X-Forwarded-* headers are believed. */
  readonly trustProxy: readonly string[];
  /** Lets secrets (new hashes and tokens) travel over plain HTTP to non-loopback clients. */
  readonly insecureHttp: boolean;
  readonly bodyLimit: number;
  readonly logLevel: string;
  /** Gateway mode: the application to forward authenticated requests to. */
  readonly upstream: string | undefined;
  readonly mount: string;
  /** A JSON file of path/method → required ACL rules for auth_request and the gateway. */
  readonly authRulesFile: string | undefined;
  /** --metrics-listen: where a separate listener answers `GET /metrics`; none when undefined. */
  readonly metricsListen: { readonly host: string; readonly port: number } | undefined;
  /** --audit-jsonl: a file each audit entry is appended to as one JSON line. */
  readonly auditJsonl: string | undefined;
  /** --audit-syslog: udp://, tcp:// or tls://host:port to send each audit entry to (RFC 5424). */
  readonly auditSyslog: SyslogTarget | undefined;
}

export interface ServeFlags extends StoreFlags {
  host?: string;
  port?: string;
  tlsCert?: string;
  tlsKey?: string;
  redis?: string;
  trustProxy?: string;
  insecureHttp?: boolean;
  logLevel?: string;
  upstream?: string;
  mount?: string;
  authRules?: string;
  metricsListen?: string;
  auditJsonl?: string;
  auditSyslog?: string;
}

export function resolveServerConfig(flags: ServeFlags, env: NodeJS.ProcessEnv): ServerConfig {
  const certFile = flags.tlsCert ?? env.KEYHOLD_TLS_CERT;
  const keyFile = flags.tlsKey ?? env.KEYHOLD_TLS_KEY;
  if ((certFile === undefined) !== (keyFile === undefined)) throw invalidArgument("Give both --tls-cert and --tls-key, or neither.");
  const tls = certFile !== undefined && keyFile !== undefined ? { certFile, keyFile } : null;
  const portText = flags.port ?? env.KEYHOLD_PORT;
  const port = portText === undefined ? (tls === null ? DEFAULT_HTTP_PORT : DEFAULT_HTTPS_PORT) : parsePort(portText);
  return {
    host: flags.host ?? env.KEYHOLD_HOST ?? "127.0.0.1",
    port,
    tls,
    ...resolveStoreLocation(flags, env),
    redisUrl: resolveRedisUrl(flags, env),
    rootPassword: env.KEYHOLD_ROOT_PASSWORD === "" ? undefined : env.KEYHOLD_ROOT_PASSWORD,
    trustProxy: splitList(flags.trustProxy ?? env.KEYHOLD_TRUST_PROXY ?? ""),
    insecureHttp: flags.insecureHttp === true || env.KEYHOLD_INSECURE_HTTP === "1",
    bodyLimit: 1024 * 1024,
    logLevel: flags.logLevel ?? env.KEYHOLD_LOG_LEVEL ?? "info",
    upstream: parseUpstream(flags.upstream ?? env.KEYHOLD_UPSTREAM),
    mount: parseMount(flags.mount ?? env.KEYHOLD_MOUNT ?? "/"),
    authRulesFile: flags.authRules ?? env.KEYHOLD_AUTH_RULES,
    metricsListen: parseListenAddress(flags.metricsListen ?? env.KEYHOLD_METRICS_LISTEN),
    auditJsonl: emptyAsUndefined(flags.auditJsonl ?? env.KEYHOLD_AUDIT_JSONL),
    auditSyslog: parseAuditSyslog(emptyAsUndefined(flags.auditSyslog ?? env.KEYHOLD_AUDIT_SYSLOG)),
  };
}

function emptyAsUndefined(text: string | undefined): string | undefined {
  return text === "" ? undefined : text;
}

function parseAuditSyslog(text: string | undefined): SyslogTarget | undefined {
  if (text === undefined) return undefined;
  try {
    return parseSyslogUrl(text);
  } catch (error) {
    throw invalidArgument((error as Error).message);
  }
}

function parsePort(text: string): number {
  const port = /^\d{1,5}$/.test(text) ? Number(text) : Number.NaN;
  if (!(port >= 0 && port <= 65_535)) throw invalidArgument(`Invalid port “${text}”: use a number from 0 to 65535.`);
  return port;
}

/** `host:port`, `[v6]:port` or a bare port (loopback then); unset or empty: undefined. */
export function parseListenAddress(text: string | undefined): { readonly host: string; readonly port: number } | undefined {
  if (text === undefined || text.trim() === "") return undefined;
  const match = /^(?:(?:\[([0-9A-Fa-f:.]+)\]|([^:\s[\]]+)):)?(\d{1,5})$/.exec(text.trim());
  const port = match === null ? Number.NaN : Number(match[3]);
  if (match === null || !(port >= 0 && port <= 65_535)) throw invalidArgument(`Invalid metrics address “${text}”: give host:port, such as 127.0.0.1:9464.`);
  return { host: match[1] ?? match[2] ?? "127.0.0.1", port };
}

function splitList(text: string): string[] {
  return text
    .split(",")
    .map((entry) => entry.trim())
    .filter((entry) => entry !== "");
}

function parseUpstream(text: string | undefined): string | undefined {
  if (text === undefined || text === "") return undefined;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw invalidArgument(`Invalid upstream “${text}”: give a URL such as http://127.0.0.1:8080.`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw invalidArgument(`Invalid upstream “${text}”: use http:// or https://.`);
  return url.toString().replace(/\/$/, "");
}

function parseMount(text: string): string {
  if (!/^\/[A-Za-z0-9._~!$&'()*+,;=:@/-]*$/.test(text)) throw invalidArgument(`Invalid mount “${text}”: give a path such as /app.`);
  return text;
}
