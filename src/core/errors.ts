/**
 * The one error type of Keyhold. Domain code throws it for requests that cannot be served
 * (bad input, missing rights, conflicts); verification never throws it: a credential that
 * does not verify is an outcome, see `verify.ts`.
 */
export type ErrorCode =
  | "INVALID_ARGUMENT"
  | "UNAUTHENTICATED"
  | "FORBIDDEN"
  | "INSECURE_TRANSPORT"
  | "NOT_FOUND"
  | "METHOD_NOT_ALLOWED"
  | "CONFLICT"
  | "PAYLOAD_TOO_LARGE"
  | "UNSUPPORTED_MEDIA_TYPE"
  | "RATE_LIMITED"
  | "BAD_GATEWAY"
  | "UNAVAILABLE"
  | "SECRET_UNREADABLE"
  | "INTERNAL";

/** The HTTP status every API answers for each code. */
export const HTTP_STATUS: Readonly<Record<ErrorCode, number>> = {
  INVALID_ARGUMENT: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  INSECURE_TRANSPORT: 403,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  RATE_LIMITED: 429,
  BAD_GATEWAY: 502,
  UNAVAILABLE: 503,
  // A stored secret that does not decrypt: the key file is not the one that sealed it.
  SECRET_UNREADABLE: 500,
  INTERNAL: 500,
};

export interface KeyholdErrorOptions {
  retryAfterSeconds?: number;
  cause?: unknown;
}

export class KeyholdError extends Error {
  override readonly name = "KeyholdError";
  readonly code: ErrorCode;
  readonly retryAfterSeconds: number | undefined;

  constructor(code: ErrorCode, message: string, options: KeyholdErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

export function invalidArgument(message: string): KeyholdError {
  return new KeyholdError("INVALID_ARGUMENT", message);
}

export function forbidden(message: string): KeyholdError {
  return new KeyholdError("FORBIDDEN", message);
}

export function notFound(message: string): KeyholdError {
  return new KeyholdError("NOT_FOUND", message);
}

export function conflict(message: string): KeyholdError {
  return new KeyholdError("CONFLICT", message);
}

export function isKeyholdError(error: unknown): error is KeyholdError {
  return error instanceof KeyholdError;
}
