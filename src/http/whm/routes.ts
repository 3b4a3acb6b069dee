import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { printable } from "../../core/account.js";
import { isSecurityToken } from "../../core/credentials/session.js";
import { KeyholdError } from "../../core/errors.js";
import type { Keyhold } from "../../core/keyhold.js";
import { authenticate } from "../authenticate.js";
import { actorOf, type HttpOptions } from "../context.js";
import { requireSecureChannel } from "../secret-transport.js";
import { unknownApp, whmFailure, whmSuccess, type WhmEnvelope } from "./envelope.js";
import { WHM_FUNCTIONS } from "./functions/index.js";
import { WhmParams } from "./params.js";

interface WhmRoute {
  Params: { fn: string; security?: string };
}

// Transport-level failures keep their HTTP status; every other failure of a function is, as in
// WHM, HTTP 200 with `metadata.result` 0 and the reason.
const HTTP_LEVEL_CODES = new Set(["UNAUTHENTICATED", "RATE_LIMITED", "UNAVAILABLE", "INTERNAL"]);

// cpsrvd's answer to a cPanel account at WHM's door, on every way in (password, token, session).
const NO_WHM_ACCESS = "This account has no access to WHM.";

/** WHM API 1 at `/json-api/<fn>`, and under a session's `/cpsess…/` prefix. */
export function registerWhmRoutes(app: FastifyInstance, keyhold: Keyhold, options: HttpOptions): void {
  /**
   * Every WHM credential is in the headers, so it is checked before the body is read: a caller
   * without one is refused at once instead of being let to trickle a body in.
   */
  async function authenticateWhm(request: FastifyRequest<WhmRoute>): Promise<void> {
    const securityToken = request.params.security ?? null;
    if (securityToken !== null && !isSecurityToken(securityToken)) {
      throw new KeyholdError("NOT_FOUND", `No such path: ${printable(request.url.split("?")[0] ?? "")}`);
    }
    const identity = await authenticate(keyhold, request, { securityToken, refuseCrossSite: true });
    if (identity.account.role === "user") throw new KeyholdError("FORBIDDEN", NO_WHM_ACCESS);
  }

  async function handle(request: FastifyRequest<WhmRoute>, reply: FastifyReply): Promise<WhmEnvelope> {
    const command = request.params.fn;
    const identity = request.identity!;
    const fn = WHM_FUNCTIONS.get(command);
    if (fn === undefined) return whmFailure(printable(command), unknownApp(printable(command)));
    try {
      if (fn.returnsSecret === true) requireSecureChannel(request, options, command);
      const params = WhmParams.from(request.query, request.body);
      const result = await fn.run({ params, identity, actor: actorOf(request), keyhold });
      return whmSuccess(command, result.data, result.reason, result.topLevel);
    } catch (error) {
      if (!(error instanceof KeyholdError) || HTTP_LEVEL_CODES.has(error.code)) throw error;
      reply.code(200);
      return whmFailure(command, `${fn.failurePrefix ?? ""}${error.message}`, fn.failureData ?? null);
    }
  }

  for (const url of ["/json-api/:fn", "/:security/json-api/:fn"]) {
    app.route<WhmRoute>({ method: ["GET", "POST"], url, onRequest: authenticateWhm, handler: handle });
  }
}
