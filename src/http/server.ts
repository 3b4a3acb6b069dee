import cookie from "@fastify/cookie";
import Fastify, { LogController, type FastifyInstance, type FastifyServerOptions } from "fastify";
import type { Keyhold } from "../core/keyhold.js";
import { KeyholdError } from "../core/errors.js";
import { KEYHOLD_VERSION } from "../version.js";
import { timeoutsOf, type HttpOptions } from "./context.js";
import { installErrorHandlers, sendError, toKeyholdError } from "./errors.js";
import { parseFormBody } from "./forms.js";
import { AccessRules } from "../core/access-rules.js";
import { registerForwardAuth, trustedProxies } from "./forward-auth.js";
import { registerGateway } from "./gateway.js";
import { registerLoginRoutes } from "./login.js";
import { registerRestApi } from "./rest/plugin.js";
import { webUi } from "./ui.js";
import { registerWhmRoutes } from "./whm/routes.js";

// HTAB is legal in header values; every other C0 control and DEL is refused before any handler.
const HEADER_CONTROL_CHARACTERS = /[\u0000-\u0008\u000a-\u001f\u007f]/;

export interface ServerParts {
  readonly https?: { cert: Buffer; key: Buffer };
  /** Which privileges requests to a protected application need (auth_request and gateway). */
  readonly rules?: AccessRules;
  /** Gateway mode: forward authenticated requests under a mount to an upstream application. */
  readonly gateway?: { readonly upstream: string; readonly mount: string };
}

export function buildServer(keyhold: Keyhold, options: HttpOptions, parts: ServerParts = {}): FastifyInstance {
  const timeouts = timeoutsOf(options);
  // Node refuses a headers timeout longer than the request's.
  const headersTimeout = Math.min(timeouts.headersMs, timeouts.requestMs);
  const nodeServerOptions = {
    headersTimeout,
    requestTimeout: timeouts.requestMs,
    // Node looks for overdue requests only this often (30 s by default), so a 10 s limit would
    // otherwise hold up to 40 s.
    connectionsCheckingInterval: Math.max(100, Math.min(1000, Math.floor(headersTimeout / 4))),
  };
  const serverOptions: FastifyServerOptions = {
    bodyLimit: options.bodyLimit,
    // Fastify's default of no request timeout lets a body trickled a byte at a time hold a socket forever.
    requestTimeout: timeouts.requestMs,
    keepAliveTimeout: timeouts.keepAliveMs,
    connectionTimeout: timeouts.idleMs,
    // The same test auth_request applies: only the proxies named, loopback included only when named.
    trustProxy: options.trustProxy.length > 0 ? trustedProxies(options.trustProxy) : false,
    // Request lines are not logged: query strings can carry parameters such as a token to look up.
    logController: new LogController({ disableRequestLogging: true }),
    logger: {
      level: options.logLevel,
      redact: ["req.headers.authorization", "req.headers.cookie", 'res.headers["set-cookie"]'],
      serializers: {
        req(request) {
          // A session's cpsess token is half of its credential: keep it out of the log.
          return { method: request.method, path: request.url.split("?")[0]?.replace(/\/cpsess\d+/, "/cpsess…"), remoteAddress: request.ip };
        },
      },
    },
    return503OnClosing: true,
    // The router answers a bad percent-encoding or an over-long segment in the path itself, in
    // Fastify's own format; route those through the envelope of the API that was hit as well.
    frameworkErrors(error, request, reply) {
      sendError(request, reply, toKeyholdError(error));
    },
  };
  const app = (
    parts.https === undefined ? Fastify({ ...serverOptions, http: nodeServerOptions } as FastifyServerOptions) : Fastify({ ...serverOptions, https: { ...nodeServerOptions, ...parts.https } } as FastifyServerOptions)
  ) as FastifyInstance;

  app.decorateRequest("identity", null);
  app.register(cookie);

  app.addHook("onRequest", async function rejectControlCharactersInHeaders(request) {
    for (const [name, value] of Object.entries(request.headers)) {
      const values = Array.isArray(value) ? value : [value ?? ""];
      if (values.some((item) => HEADER_CONTROL_CHARACTERS.test(item))) {
        throw new KeyholdError("INVALID_ARGUMENT", `The ${name.slice(0, 40)} header contains control characters.`);
      }
    }
  });

  // A fragment is never sent on the wire, and a target carrying one is read differently by
  // routers (which stop at `#`) and URL builders (which drop what follows): refuse it outright.
  app.addHook("onRequest", async function rejectFragmentInTarget(request) {
    if (request.url.includes("#")) throw new KeyholdError("INVALID_ARGUMENT", "The request target contains “#”, which is never valid in a request: it is refused.");
  });

  installErrorHandlers(app);
  app.get("/healthz", async function health() {
    return { status: "ok", version: KEYHOLD_VERSION };
  });
  app.register(async function routes(scope) {
    // Form bodies for both APIs; cPanel::PublicAPI sends WHM calls with no Content-Type at all.
    // Scoped here so the gateway, a sibling scope, streams bodies through untouched.
    scope.addContentTypeParser(["application/x-www-form-urlencoded", "*"], { parseAs: "string" }, function parseForm(_request, body, done) {
      try {
        done(null, parseFormBody(body as string));
      } catch (error) {
        done(error as Error, undefined);
      }
    });
    // Every answer here is about one credential, and many carry a secret (a new token, an access
    // hash, a session's security token): no browser or proxy cache may keep one. Errors included,
    // so the rule does not depend on remembering which route returns what.
    scope.addHook("onSend", function noStore(_request, reply, payload, done) {
      reply.header("cache-control", "no-store");
      done(null, payload);
    });
    await registerRestApi(scope, keyhold, options);
    registerLoginRoutes(scope, keyhold);
    registerWhmRoutes(scope, keyhold, options);
    registerForwardAuth(scope, keyhold, options, parts.rules ?? AccessRules.none());
  });
  // A gateway mounted at `/` owns `/`; the UI then stays unserved rather than clash with it.
  if (parts.gateway?.mount !== "/") app.register(webUi);
  const gateway = parts.gateway;
  if (gateway !== undefined) {
    app.register(async function protectedApplication(scope) {
      await registerGateway(scope, keyhold, { ...gateway, rules: parts.rules ?? AccessRules.none() });
    });
  }
  return app;
}
