import type { FastifyRequest } from "fastify";
import type { Actor } from "../core/actor.js";
import { isLoopback } from "../core/ip.js";
import type { Identity } from "../core/verify.js";

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
}

/**
 * Whether a secret may be sent back on this connection: TLS (directly, or as a trusted proxy
 * reports it), a loopback client, or an operator's explicit opt-in. WHM itself demands SSL.
 */
export function isSecureChannel(request: FastifyRequest, options: HttpOptions): boolean {
  return request.protocol === "https" || isLoopback(request.ip) || options.insecureHttp;
}

export function actorOf(request: FastifyRequest): Actor {
  const identity = request.identity;
  if (identity === null) throw new Error("actorOf() called on an unauthenticated request");
  return { username: identity.account.username, acls: identity.acls, ip: request.ip, credential: identity.credential.kind };
}
