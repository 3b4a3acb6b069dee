import type { FastifyInstance, FastifyRequest } from "fastify";
import type { AccessRules } from "../core/access-rules.js";
import { KeyholdError } from "../core/errors.js";
import { addressInList, isLoopback, parseAddress } from "../core/ip.js";
import type { Keyhold } from "../core/keyhold.js";
import type { Identity } from "../core/verify.js";
import { authenticate } from "./authenticate.js";
import type { HttpOptions } from "./context.js";
import { identityHeaders } from "./identity-headers.js";

/** The socket peer is a proxy the operator named (or this machine): its X-* headers are believed. */
export function isTrustedPeer(request: FastifyRequest, options: HttpOptions): boolean {
  const peer = request.socket.remoteAddress ?? "";
  return isLoopback(peer) || addressInList(options.trustProxy, peer);
}

/**
 * Authenticates a request on behalf of a protected application and checks the privileges the
 * access rules give its method and path. Shared by nginx's auth_request and the gateway.
 */
export function authorizeForUpstream(keyhold: Keyhold, request: FastifyRequest, rules: AccessRules, target: { method: string; path: string; ip: string }): Promise<Identity> {
  return authenticate(keyhold, request, { ip: target.ip, requiredAcls: rules.required(target.method, target.path) });
}

/**
 * `GET /auth/request` for nginx's `auth_request`: 204 with X-Keyhold-* identity headers, or
 * 401/403/429. The client's address, method and URI come from X-Real-IP (or X-Forwarded-For),
 * X-Original-Method and X-Original-URI, believed only from loopback or a trusted proxy.
 */
export function registerForwardAuth(app: FastifyInstance, keyhold: Keyhold, options: HttpOptions, rules: AccessRules): void {
  app.route({
    method: ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
    url: "/auth/request",
    config: { envelope: "rest" },
    handler: async function authRequest(request, reply) {
      if (!isTrustedPeer(request, options)) {
        throw new KeyholdError("FORBIDDEN", "auth_request answers only this machine and the proxies named with --trust-proxy.");
      }
      const realIp = request.headers["x-real-ip"];
      const ip = typeof realIp === "string" && parseAddress(realIp.trim()) !== null ? realIp.trim() : request.ip;
      const method = headerOr(request.headers["x-original-method"], request.method);
      const uri = headerOr(request.headers["x-original-uri"], request.url);
      const identity = await authorizeForUpstream(keyhold, request, rules, { method, path: uri.split("?")[0] ?? "/", ip });
      reply.code(204).headers(identityHeaders(identity));
      return reply.send();
    },
  });
}

function headerOr(value: string | string[] | undefined, fallback: string): string {
  return typeof value === "string" && value !== "" ? value : fallback;
}
