import proxy from "@fastify/http-proxy";
import type { IncomingHttpHeaders } from "node:http";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { canonicalPath, canonicalTarget, pathUnder, type AccessRules } from "../core/access-rules.js";
import { invalidArgument, KeyholdError } from "../core/errors.js";
import type { Keyhold } from "../core/keyhold.js";
import { sendError } from "./errors.js";
import { authorizeForUpstream } from "./forward-auth.js";
import { forwardedHeaders } from "./identity-headers.js";

export interface GatewayOptions {
  /** Where protected requests go, e.g. http://127.0.0.1:8080. */
  readonly upstream: string;
  /** The path prefix Keyhold protects; it is removed before forwarding. */
  readonly mount: string;
  readonly rules: AccessRules;
}

/**
 * Gateway mode: every request under the mount is authenticated with the same rules as Keyhold's
 * own API, then forwarded, bodies streamed both ways and WebSocket upgrades passed, with the
 * client's credentials replaced by X-Keyhold-* identity headers. Keyhold's own routes keep
 * precedence over a mount at `/`.
 */
export async function registerGateway(app: FastifyInstance, keyhold: Keyhold, options: GatewayOptions): Promise<void> {
  const mount = canonicalPath(options.mount);
  const routePrefix = mount === "/" ? "/" : mount.replace(/\/$/, "");
  await app.register(proxy, {
    upstream: options.upstream,
    prefix: routePrefix,
    rewritePrefix: "/",
    websocket: true,
    config: { envelope: "rest" },
    async preHandler(request: FastifyRequest) {
      // One canonical path, matched against the rules and then forwarded as the very string
      // matched: whatever the upstream's router makes of escapes or dots, it sees what was checked.
      const { path, query } = canonicalTarget(request.url);
      const upstreamPath = pathUnder(path, mount);
      // The router matched the mount before dots were resolved: `/app/../admin` is not under it.
      if (upstreamPath === null) throw invalidArgument(`The request path is not under ${routePrefix}.`);
      await authorizeForUpstream(keyhold, request, options.rules, { method: request.method, path: upstreamPath, ip: request.ip });
      // The proxy (HTTP and WebSocket alike) builds the upstream URL from this: the mount it
      // strips, then the canonical rest, then the query string as sent.
      request.raw.url = `${mount === "/" ? "" : routePrefix}${upstreamPath}${query}`;
    },
    replyOptions: {
      rewriteHeaders: withoutHopByHopHeaders,
      rewriteRequestHeaders(request, headers) {
        return forwardedHeaders(headers, request.identity!, request.ip);
      },
      onError(reply: FastifyReply, { error }: { error: Error }) {
        // The cause (addresses, ports) goes to the log, not to the client.
        reply.request.log.warn({ err: error }, "upstream unavailable");
        sendError(reply.request, reply, new KeyholdError("BAD_GATEWAY", "The protected application is not answering; try again shortly."));
      },
    },
    wsClientOptions: {
      rewriteRequestHeaders(headers: Record<string, unknown>, request: FastifyRequest) {
        return { ...headers, ...forwardedHeaders(request.headers, request.identity!, request.ip) };
      },
    },
  } as Parameters<typeof proxy>[1]);
}

// Headers about one connection only (RFC 9110 §7.6.1). Copied from the upstream's answer, its
// `Connection: keep-alive` would overrule a client's `Connection: close` and hold the client's
// socket open until the keep-alive timeout.
const HOP_BY_HOP = new Set(["connection", "keep-alive", "proxy-connection", "te", "trailer", "upgrade"]);

function withoutHopByHopHeaders(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const named = typeof headers.connection === "string" ? headers.connection.toLowerCase().split(",").map((name) => name.trim()) : [];
  const kept: IncomingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (!HOP_BY_HOP.has(name) && !named.includes(name)) kept[name] = value;
  }
  return kept;
}
