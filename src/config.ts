import { invalidArgument } from "./core/errors.js";

export const DEFAULT_HTTP_PORT = 2086;
export const DEFAULT_HTTPS_PORT = 2087;

/** Everything `keyhold serve` is configured with, resolved once from flags and environment. */
export interface ServerConfig {
  readonly host: string;
  readonly port: number;
  readonly tls: { readonly certFile: string; readonly keyFile: string } | null;
  readonly dataDir: string;
  readonly databaseUrl: string | undefined;
  readonly keyFile: string | undefined;
  /** Redis for brute-force counters shared by several instances. */
  readonly redisUrl: string | undefined;
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
}

export interface ServeFlags {
  host?: string;
  port?: string;
  tlsCert?: string;
  tlsKey?: string;
  dataDir?: string;
  database?: string;
  keyFile?: string;
  redis?: string;
  trustProxy?: string;
  insecureHttp?: boolean;
  logLevel?: string;
  upstream?: string;
  mount?: string;
  authRules?: string;
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
    dataDir: flags.dataDir ?? env.KEYHOLD_DATA_DIR ?? "./data",
    databaseUrl: flags.database ?? env.KEYHOLD_DATABASE_URL,
    keyFile: flags.keyFile ?? env.KEYHOLD_KEY_FILE,
    redisUrl: flags.redis ?? env.KEYHOLD_REDIS_URL,
    trustProxy: splitList(flags.trustProxy ?? env.KEYHOLD_TRUST_PROXY ?? ""),
    insecureHttp: flags.insecureHttp === true || env.KEYHOLD_INSECURE_HTTP === "1",
    bodyLimit: 1024 * 1024,
    logLevel: flags.logLevel ?? env.KEYHOLD_LOG_LEVEL ?? "info",
    upstream: parseUpstream(flags.upstream ?? env.KEYHOLD_UPSTREAM),
    mount: parseMount(flags.mount ?? env.KEYHOLD_MOUNT ?? "/"),
    authRulesFile: flags.authRules ?? env.KEYHOLD_AUTH_RULES,
  };
}

function parsePort(text: string): number {
  const port = /^\d{1,5}$/.test(text) ? Number(text) : Number.NaN;
  if (!(port >= 0 && port <= 65_535)) throw invalidArgument(`Invalid port “${text}”: use a number from 0 to 65535.`);
  return port;
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
