/**
 * `keyhold/middleware`: guard your own Fastify or Express API with Keyhold credentials, through
 * Keyhold's verify API and a short cache of VALID answers.
 */
import type { FastifyPluginCallback, FastifyReply, FastifyRequest } from "fastify";
import type { IncomingMessage, ServerResponse } from "node:http";
import { KeyholdVerifier, accessHashCookie, type Decision, type KeyholdIdentity, type KeyholdVerifierOptions } from "./verifier.js";

export { KeyholdVerifier, accessHashCookie, type Decision, type KeyholdIdentity, type KeyholdVerifierOptions, type Presented } from "./verifier.js";

interface RequestOptions<Req> {
  /** The privileges a request needs: a list for every request, or chosen per request. */
  acls?: readonly string[] | ((request: Req) => readonly string[] | undefined);
  /** The client's address (default: the framework's `request.ip`, else the socket's). */
  ip?: (request: Req) => string;
}

/** Keyhold's address and the service's credential, or a ready verifier to share between apps. */
export type KeyholdMiddlewareOptions<Req> = RequestOptions<Req> & (KeyholdVerifierOptions | { verifier: KeyholdVerifier });

function verifierOf(options: KeyholdVerifierOptions | { verifier: KeyholdVerifier }): KeyholdVerifier {
  return "verifier" in options ? options.verifier : new KeyholdVerifier(options);
}

/** The REST envelope Keyhold itself answers with, so clients read one shape. */
function failureBody(decision: Exclude<Decision, { ok: true }>) {
  return { error: decision.message, msg: "", status: "error" as const };
}

// ---- Fastify ----------------------------------------------------------------------------------

declare module "fastify" {
  interface FastifyRequest {
    /** Set by keyholdFastify once Keyhold has said the credential is good. */
    keyhold: KeyholdIdentity | null;
  }
}

/**
 * A Fastify plugin: every request (of the scope it is registered in, and of its parent scope, as
 * it skips encapsulation) needs a credential Keyhold accepts; `request.keyhold` is the identity.
 */
export const keyholdFastify: FastifyPluginCallback<KeyholdMiddlewareOptions<FastifyRequest>> = (fastify, options, done) => {
  const verifier = verifierOf(options);
  fastify.decorateRequest("keyhold", null);
  fastify.addHook("onRequest", async (request: FastifyRequest, reply: FastifyReply) => {
    const acls = typeof options.acls === "function" ? options.acls(request) : options.acls;
    const decision = await verifier.verify({
      authorization: headerValue(request.headers.authorization),
      accessHash: accessHashCookie(request.headers.cookie),
      ip: options.ip?.(request) ?? request.ip,
      acls,
    });
    if (decision.ok) {
      request.keyhold = decision.identity;
      return;
    }
    if (decision.retryAfterSeconds !== undefined) reply.header("retry-after", String(decision.retryAfterSeconds));
    if (decision.status === 401) reply.header("www-authenticate", 'WHM realm="Keyhold"');
    return reply.code(decision.status).header("cache-control", "no-store").send(failureBody(decision));
  });
  done();
};
// Like fastify-plugin: the hook applies to the scope that registers the plugin.
(keyholdFastify as unknown as Record<symbol, unknown>)[Symbol.for("skip-override")] = true;
(keyholdFastify as unknown as Record<symbol, unknown>)[Symbol.for("fastify.display-name")] = "keyhold";

// ---- Express ----------------------------------------------------------------------------------

/** The parts of an Express request used here (typed without importing express). */
export interface ExpressLikeRequest extends IncomingMessage {
  ip?: string | undefined;
  keyhold?: KeyholdIdentity | null;
}
export interface ExpressLikeResponse extends ServerResponse {
  status?(code: number): ExpressLikeResponse;
  json?(body: unknown): unknown;
}

/** An Express (or Connect) middleware: `app.use(keyholdExpress({...}))`; `req.keyhold` is the identity. */
export function keyholdExpress<Req extends ExpressLikeRequest = ExpressLikeRequest>(options: KeyholdMiddlewareOptions<Req>): (req: Req, res: ExpressLikeResponse, next: (error?: unknown) => void) => void {
  const verifier = verifierOf(options);
  return (req, res, next) => {
    const acls = typeof options.acls === "function" ? options.acls(req) : options.acls;
    verifier
      .verify({
        authorization: headerValue(req.headers.authorization),
        accessHash: accessHashCookie(req.headers.cookie),
        ip: options.ip?.(req) ?? req.ip ?? req.socket.remoteAddress ?? "",
        acls,
      })
      .then((decision) => {
        if (decision.ok) {
          req.keyhold = decision.identity;
          next();
          return;
        }
        if (decision.retryAfterSeconds !== undefined) res.setHeader("retry-after", String(decision.retryAfterSeconds));
        if (decision.status === 401) res.setHeader("www-authenticate", 'WHM realm="Keyhold"');
        res.statusCode = decision.status;
        res.setHeader("content-type", "application/json; charset=utf-8");
        res.setHeader("cache-control", "no-store");
        res.end(JSON.stringify(failureBody(decision)));
      }, next);
  };
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
