import type { FastifyInstance, FastifyRequest } from "fastify";
import { canonicalTarget, type AccessRules, type CanonicalPath } from "../core/access-rules.js";
import { invalidArgument, KeyholdError } from "../core/errors.js";
import { addressInList, isLoopback, parseAddress, parseRange } from "../core/ip.js";
import type { Keyhold } from "../core/keyhold.js";
import type { Identity } from "../core/credentials/outcome.js";
import { authenticate } from "./authenticate.js";
import type { HttpOptions } from "./context.js";
import { identityHeaders } from "./identity-headers.js";

/**
 * Whether an address is one of the proxies named with `--trust-proxy`, whose X-Real-IP and
 * X-Forwarded-* are believed. Loopback is no exception: any process on this machine can connect
 * from it, so it is trusted only when named. Fastify's own `trustProxy` uses this same test, so
 * `request.ip` and auth_request never disagree about whom to believe.
 */
export function trustedProxies(list: readonly string[]): (address: string) => boolean {
  for (const entry of list) {
    if (parseRange(entry) === null) throw invalidArgument(`Invalid --trust-proxy entry “${entry}”: give IP addresses or CIDR ranges.`);
  }
  return (address) => addressInList(list, address);
}

/** The socket peer is a proxy the operator named with --trust-proxy: its forwarded-address headers are believed. */
export function isTrustedPeer(request: FastifyRequest, options: HttpOptions): boolean {
  return addressInList(options.trustProxy, request.socket.remoteAddress ?? "");
}

/**
 * Authenticates a request on behalf of a protected application and checks the privileges the
 * access rules give its method and canonical path. Shared by nginx's auth_request and the gateway.
 */
export function authorizeForUpstream(keyhold: Keyhold, request: FastifyRequest, rules: AccessRules, target: { method: string; path: CanonicalPath; ip: string }): Promise<Identity> {
  return authenticate(keyhold, request, { ip: target.ip, requiredAcls: rules.required(target.method, target.path) });
}

/**
 * `GET /auth/request` for nginx's auth_request: 204 with X-Keyhold-* identity headers, or
 * 400/401/403/429. Answered for proxies named with --trust-proxy and for this machine. The
 * client's address is X-Real-IP (or X-Forwarded-For) only from a named proxy; an unnamed
 * loopback peer (nginx on this host, Keyhold started without --trust-proxy) is answered about
 * itself, its socket address, so a local process cannot claim another client's address.
 */
export function registerForwardAuth(app: FastifyInstance, keyhold: Keyhold, options: HttpOptions, rules: AccessRules): void {
  app.route({
    method: ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
    url: "/auth/request",
    config: { envelope: "rest" },
    handler: async function authRequest(request, reply) {
      const peer = request.socket.remoteAddress ?? "";
      const trusted = isTrustedPeer(request, options);
      if (!trusted && !isLoopback(peer)) {
        throw new KeyholdError("FORBIDDEN", "auth_request answers only this machine and the proxies named with --trust-proxy.");
      }
      const method = headerOr(request.headers["x-original-method"], request.method);
      const { path } = canonicalTarget(headerOr(request.headers["x-original-uri"], request.url));
      const identity = await authorizeForUpstream(keyhold, request, rules, { method, path, ip: trusted ? forwardedClient(request) : peer });
      reply.code(204).headers(identityHeaders(identity));
      return reply.send();
    },
  });
}

/** The client a named proxy reports: X-Real-IP when it is one address, else X-Forwarded-For as Fastify reads it with the same trust. */
function forwardedClient(request: FastifyRequest): string {
  const realIp = request.headers["x-real-ip"];
  return typeof realIp === "string" && parseAddress(realIp.trim()) !== null ? realIp.trim() : request.ip;
}

function headerOr(value: string | string[] | undefined, fallback: string): string {
  return typeof value === "string" && value !== "" ? value : fallback;
}
