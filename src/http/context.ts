import type { FastifyRequest } from "fastify";
import type { Actor } from "../core/actor.js";
import type { Identity } from "../core/credentials/outcome.js";

declare module "fastify" {
  interface FastifyRequest {
    identity: Identity | null;
  }
}

export interface HttpOptions {
  readonly trustProxy: readonly string[];
  readonly insecureHttp: boolean;
  readonly bodyLimit: number;
  readonly logLevel: string;
  /** How long a client may take; the defaults where not given. */
  readonly timeouts?: Partial<HttpTimeouts>;
}

/** Milliseconds. A slow client holds a socket only this long, credentials or not. */
export interface HttpTimeouts {
  /** From the connection (or the previous request) to the end of the request's headers. */
  readonly headersMs: number;
  /** From the connection (or the previous request) to the end of the request's body. */
  readonly requestMs: number;
  /** An idle kept-alive connection between requests. */
  readonly keepAliveMs: number;
  /** No byte either way (a client that stops reading its answer, say). */
  readonly idleMs: number;
}

/**
 * WHM clients (cPanel::PublicAPI, WHMCS, billing systems) send a small request at once and keep
 * connections for a few seconds at most; a 1 MiB body in 30 s is 35 kB/s.
 */
export const DEFAULT_TIMEOUTS: HttpTimeouts = { headersMs: 10_000, requestMs: 30_000, keepAliveMs: 5_000, idleMs: 60_000 };

export function timeoutsOf(options: HttpOptions): HttpTimeouts {
  return { ...DEFAULT_TIMEOUTS, ...options.timeouts };
}

export function actorOf(request: FastifyRequest): Actor {
  const identity = request.identity;
  if (identity === null) throw new Error("actorOf() called on an unauthenticated request");
  return { username: identity.account.username, acls: identity.acls, ip: request.ip, credential: identity.credential.kind };
}
