import proxy from "@fastify/http-proxy";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { AccessRules } from "../core/access-rules.js";
import { KeyholdError } from "../core/errors.js";
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
  const mount = options.mount === "/" ? "" : options.mount.replace(/\/$/, "");
  const mountSegments = mount === "" ? 0 : mount.split("/").length - 1;
  await app.register(proxy, {
    upstream: options.upstream,
    prefix: mount === "" ? "/" : mount,
    rewritePrefix: "/",
    websocket: true,
    config: { envelope: "rest" },
    async preHandler(request: FastifyRequest) {
      // The path the upstream gets. The router matched the mount after decoding it, so the mount
      // is its first segments, not its first characters: `/%61pp/admin` is `/admin` under `/app`.
      const segments = (request.url.split("?")[0] ?? "/").split("/").slice(mountSegments + 1);
      await authorizeForUpstream(keyhold, request, options.rules, { method: request.method, path: `/${segments.join("/")}`, ip: request.ip });
    },
    replyOptions: {
      rewriteRequestHeaders(request, headers) {
        return forwardedHeaders(headers, request.identity!);
      },
      onError(reply: FastifyReply, { error }: { error: Error }) {
        // The cause (addresses, ports) goes to the log, not to the client.
        reply.request.log.warn({ err: error }, "upstream unavailable");
        sendError(reply.request, reply, new KeyholdError("BAD_GATEWAY", "The protected application is not answering; try again shortly."));
      },
    },
    wsClientOptions: {
      rewriteRequestHeaders(headers: Record<string, unknown>, request: FastifyRequest) {
        return { ...headers, ...forwardedHeaders(request.headers, request.identity!) };
      },
    },
  } as Parameters<typeof proxy>[1]);
}
