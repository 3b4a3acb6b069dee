import swagger from "@fastify/swagger";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { isSecurityToken } from "../../core/credentials/session.js";
import { KeyholdError } from "../../core/errors.js";
import type { Keyhold } from "../../core/keyhold.js";
import { KEYHOLD_VERSION } from "../../version.js";
import { authenticate } from "../authenticate.js";
import type { HttpOptions } from "../context.js";
import { refuseSecretsOnInsecureChannels } from "../secret-transport.js";
import type { RestApp, RestContext } from "./app.js";
import { renderApiReference } from "./docs.js";
import { registerAclRoutes } from "./routes/acls.js";
import { registerBruteForceRoutes } from "./routes/brute-force.js";
import { registerAccountRoutes } from "./routes/accounts.js";
import { registerConvertRoutes } from "./routes/convert.js";
import { registerIpAccessHashRoutes } from "./routes/ip-access-hashes.js";
import { registerSessionRoutes } from "./routes/session.js";
import { registerSystemRoutes } from "./routes/system.js";
import { registerTokenRoutes } from "./routes/tokens.js";
import { registerVerifyRoute } from "./routes/verify.js";

declare module "fastify" {
  interface FastifyContextConfig {
    /** Reachable without credentials. */
    public?: boolean;
    /** An API token passes an address block here (root's way out of one: the brute-force flush). */
    tokensPassAddressBlock?: boolean;
  }
}

export const REST_PREFIX = "/api/v1";
const METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH"] as const;

/** The security token that must accompany a session cookie on REST calls (CSRF protection). */
function sessionToken(request: FastifyRequest): string | null {
  const header = request.headers["x-csrf-token"];
  return typeof header === "string" && isSecurityToken(header) ? header : null;
}

/**
 * The REST API under /api/v1/, in PUQ's `{error, msg, status}` envelope with real HTTP statuses,
 * and its OpenAPI 3.1 document generated from the same TypeBox schemas that validate requests.
 */
export async function registerRestApi(app: FastifyInstance, keyhold: Keyhold, options: HttpOptions): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: "3.1.0",
      info: {
        title: "Keyhold REST API",
        version: KEYHOLD_VERSION,
        description:
          "Every response is `{\"error\": \"\", \"msg\": <result>, \"status\": \"success\"}` or `{\"error\": \"<text>\", \"msg\": \"\", \"status\": \"error\"}`, with a real HTTP status. Authenticate with the cookie `access_hash`, `Authorization: Bearer <access hash>`, `Authorization: whm user:token`, HTTP Basic, or a session cookie with `X-CSRF-Token`.",
      },
      components: {
        securitySchemes: {
          accessHashCookie: { type: "apiKey", in: "cookie", name: "access_hash" },
          accessHashBearer: { type: "http", scheme: "bearer" },
          whmToken: { type: "apiKey", in: "header", name: "Authorization", description: "whm <user>:<API token>" },
          basic: { type: "http", scheme: "basic" },
        },
      },
      security: [{ accessHashCookie: [] }, { accessHashBearer: [] }, { whmToken: [] }, { basic: [] }],
    },
    transform({ schema, url, route }) {
      const hidden = !url.startsWith(REST_PREFIX) || schema === undefined;
      if (hidden) return { schema: { ...schema, hide: true }, url };
      // Public routes would otherwise inherit the document-wide security and look as if they needed a credential.
      return { schema: route.config?.public === true ? { ...schema, security: [] } : schema, url };
    },
  });

  await app.register(
    async function restApi(scope) {
      const api = scope as unknown as RestApp;
      const context: RestContext = { keyhold, options, startedAt: Date.now() };
      const methodsByUrl = new Map<string, Set<string>>();
      api.addHook("onRoute", (route) => {
        const methods = methodsByUrl.get(route.url) ?? new Set<string>();
        for (const method of [route.method].flat()) methods.add(method);
        methodsByUrl.set(route.url, methods);
      });
      // onRequest, not preHandler: the credential is in the headers, so a request without one is
      // refused before its body is read (a body trickled in would otherwise hold the socket).
      api.addHook("onRequest", async function requireCredential(request) {
        if (request.routeOptions.config.public === true) return;
        await authenticate(keyhold, request, {
          securityToken: sessionToken(request),
          refuseCrossSite: true,
          ...(request.routeOptions.config.tokensPassAddressBlock === true ? { tokensPassAddressBlock: true } : {}),
        });
      });
      refuseSecretsOnInsecureChannels(scope, options);

      api.get("/openapi.json", { config: { public: true }, schema: { hide: true } }, async () => app.swagger());
      registerSessionRoutes(api, context);
      registerSystemRoutes(api, context);
      registerIpAccessHashRoutes(api, context);
      registerAccountRoutes(api, context);
      registerTokenRoutes(api, context);
      registerAclRoutes(api);
      registerConvertRoutes(api, context);
      registerVerifyRoute(api, context);
      registerBruteForceRoutes(api, context);

      // A known path with a method it does not serve is 405, not 404.
      for (const [url, methods] of [...methodsByUrl]) {
        const served = [...methods].filter((method) => method !== "HEAD");
        const missing = METHODS.filter((method) => !methods.has(method));
        if (missing.length === 0) continue;
        api.route({
          method: [...missing],
          url: url.slice(REST_PREFIX.length),
          config: { public: true },
          schema: { hide: true },
          handler: async (request, reply) => {
            reply.header("allow", served.join(", "));
            throw new KeyholdError("METHOD_NOT_ALLOWED", `${request.method} is not allowed on ${url}; use ${served.join(", ")}.`);
          },
        });
      }
    },
    { prefix: REST_PREFIX },
  );

  app.get("/api/docs", { schema: { hide: true } }, async (_request, reply) => {
    reply.type("text/html; charset=utf-8").header("content-security-policy", "default-src 'none'; style-src 'unsafe-inline'");
    return renderApiReference(app.swagger() as Parameters<typeof renderApiReference>[0]);
  });
}
