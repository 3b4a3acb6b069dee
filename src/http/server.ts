import cookie from "@fastify/cookie";
import Fastify, { LogController, type FastifyInstance, type FastifyServerOptions } from "fastify";
import type { Keyhold } from "../core/keyhold.js";
import { KeyholdError } from "../core/errors.js";
import { KEYHOLD_VERSION } from "../version.js";
import type { HttpOptions } from "./context.js";
import { installErrorHandlers, sendError, toKeyholdError } from "./errors.js";
import { parseFormBody } from "./forms.js";
import { AccessRules } from "../core/access-rules.js";
import { registerForwardAuth } from "./forward-auth.js";
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
  const serverOptions: FastifyServerOptions = {
    bodyLimit: options.bodyLimit,
    trustProxy: options.trustProxy.length > 0 ? [...options.trustProxy] : false,
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
    parts.https === undefined ? Fastify(serverOptions) : Fastify({ ...serverOptions, https: parts.https } as FastifyServerOptions)
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
