import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { printable } from "../core/account.js";
import { HTTP_STATUS, KeyholdError, type ErrorCode } from "../core/errors.js";
import { isUnavailableError } from "../core/storage/errors.js";
import { whmFailure } from "./whm/envelope.js";

/** Which API a request belongs to decides the envelope its errors are written in. */
export type ApiFamily = "whm" | "rest";

declare module "fastify" {
  interface FastifyContextConfig {
    /** The envelope of this route's errors, where its URL does not tell (gateway, auth_request). */
    envelope?: ApiFamily;
  }
}

export function apiFamilyOf(request: FastifyRequest): ApiFamily {
  const configured = request.routeOptions.config?.envelope;
  if (configured !== undefined) return configured;
  return request.url.startsWith("/api/") || request.url.startsWith("/auth/") ? "rest" : "whm";
}

/** PUQ's envelope: `{error, msg, status}`. */
export function restFailure(message: string): { error: string; msg: string; status: "error" } {
  return { error: message, msg: "", status: "error" };
}

const CODE_BY_STATUS: ReadonlyMap<number, ErrorCode> = new Map(
  (Object.entries(HTTP_STATUS) as Array<[ErrorCode, number]>).reverse().map(([code, status]) => [status, code]),
);

// Fastify's own messages are written for developers; these are for an API's users.
const FASTIFY_MESSAGES: Readonly<Record<string, string>> = {
  FST_ERR_CTP_BODY_TOO_LARGE: "The request body is too large.",
  FST_ERR_CTP_INVALID_MEDIA_TYPE: "The request body's Content-Type is not supported; send JSON or form data.",
  FST_ERR_CTP_EMPTY_JSON_BODY: "The request body is empty but its Content-Type says JSON.",
  FST_ERR_CTP_INVALID_JSON_BODY: "The request body is not valid JSON.",
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: "The request's Content-Length does not match its body.",
  FST_ERR_BAD_URL: "The request path is not valid: it contains bad percent-encoding.",
  FST_ERR_MAX_PARAM_LENGTH: "The request path is not valid: one of its parts is too long.",
};

/** Turns anything thrown while serving a request into one KeyholdError. */
export function toKeyholdError(error: unknown): KeyholdError {
  if (error instanceof KeyholdError) return error;
  const fastifyError = error as Partial<FastifyError>;
  const status = fastifyError.statusCode;
  if (typeof status === "number" && status >= 400 && status < 500) {
    const code = CODE_BY_STATUS.get(status) ?? "INVALID_ARGUMENT";
    const message = FASTIFY_MESSAGES[fastifyError.code ?? ""] ?? (fastifyError.validation !== undefined ? `Invalid request: ${fastifyError.message ?? ""}` : (fastifyError.message ?? "Bad request."));
    return new KeyholdError(code, message);
  }
  if (error instanceof SyntaxError) return new KeyholdError("INVALID_ARGUMENT", "The request body is not valid JSON.");
  if (isUnavailableError(error)) {
    return new KeyholdError("UNAVAILABLE", "The database is unavailable right now; the request was not served. Try again shortly.", { retryAfterSeconds: 5, cause: error });
  }
  return new KeyholdError("INTERNAL", "Internal server error.", { cause: error });
}

export function sendError(request: FastifyRequest, reply: FastifyReply, error: KeyholdError): FastifyReply {
  const status = HTTP_STATUS[error.code];
  if (error.retryAfterSeconds !== undefined) reply.header("retry-after", String(error.retryAfterSeconds));
  // Refused before its body arrived (no credential, say): kept alive, Node would go on reading
  // and discarding whatever the client trickles in until the request timeout.
  if (request.raw.complete === false) reply.header("connection", "close");
  const family = apiFamilyOf(request);
  if (error.code === "UNAUTHENTICATED" && family === "whm") reply.header("www-authenticate", 'Basic realm="Keyhold WHM API"');
  reply.code(status);
  if (family === "rest") return reply.send(restFailure(error.message));
  const command = /\/json-api\/([^/?]+)/.exec(request.url)?.[1];
  // The name comes straight from the URL, which may be long or hostile; echo it capped.
  return reply.send(whmFailure(command === undefined ? null : printable(command), error.message));
}

export function installErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler(function handleError(error, request, reply) {
    const keyholdError = toKeyholdError(error);
    // Only failures of our own are logged; client mistakes are answered, not logged.
    if (keyholdError.code === "UNAVAILABLE") request.log.warn({ err: keyholdError.cause ?? error }, "database unavailable");
    else if (HTTP_STATUS[keyholdError.code] >= 500) request.log.error({ err: keyholdError.cause ?? error }, "request failed");
    return sendError(request, reply, keyholdError);
  });
  app.setNotFoundHandler(function handleNotFound(request, reply) {
    return sendError(request, reply, new KeyholdError("NOT_FOUND", `No such endpoint: ${request.method} ${request.url.split("?")[0]?.slice(0, 200) ?? ""}`));
  });
}
