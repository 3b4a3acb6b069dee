// The two storage failures the core and the HTTP layer tell apart from every other.

/** Thrown by inserts and renames that would break a uniqueness rule (username, domain, token name…). */
export class DuplicateRecordError extends Error {
  override readonly name = "DuplicateRecordError";
}

// Failures that mean "the database (or Redis) cannot be reached right now", as each driver words
// them. The HTTP layer answers these with 503 rather than 500: the request was not served, and
// trying again later will work. The list lives beside the contracts, not in a backend, so that
// the layers above can tell these apart without reaching into the store.

const UNAVAILABLE_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "ENOTFOUND",
  "EHOSTUNREACH",
  "57P01", // admin_shutdown
  "57P02", // crash_shutdown
  "57P03", // cannot_connect_now
  "53300", // too_many_connections
  "SQLITE_BUSY",
  "SQLITE_LOCKED",
]);

const UNAVAILABLE_MESSAGES = [
  /Connection terminated/i,
  /timeout exceeded when trying to connect/i,
  /not queryable/i,
  /Connection is closed/i,
  /max retries per request/i,
  /does not allow connections/i,
  /the database system is (starting up|shutting down)/i,
];

export function isUnavailableError(error: unknown): boolean {
  if (error === null || typeof error !== "object") return false;
  const { code, message, name } = error as { code?: unknown; message?: unknown; name?: unknown };
  if (typeof code === "string" && (UNAVAILABLE_CODES.has(code) || code.startsWith("08"))) return true;
  if (name === "MaxRetriesPerRequestError") return true;
  if (typeof message === "string" && UNAVAILABLE_MESSAGES.some((pattern) => pattern.test(message))) return true;
  const cause = (error as { cause?: unknown }).cause;
  if (cause !== undefined && cause !== error && isUnavailableError(cause)) return true;
  // AggregateError from a connection attempt to several addresses (IPv4 and IPv6).
  const errors = (error as { errors?: unknown }).errors;
  return Array.isArray(errors) && errors.some(isUnavailableError);
}
