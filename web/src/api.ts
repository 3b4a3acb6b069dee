/** A refusal from the REST API, carrying the text of its `error` field. */
export class ApiError extends Error {
  override readonly name = "ApiError";
  constructor(
    message: string,
    readonly status: number,
    readonly retryAfterSeconds: number | null,
  ) {
    super(message);
  }
}

interface Envelope<T> {
  readonly error: string;
  readonly msg: T;
  readonly status: "success" | "error";
}

// The session's security token must accompany the HttpOnly cookie on every call: a page on
// another site can make the browser send the cookie, but cannot read this token. It is kept per
// tab, so a reload stays logged in and closing the tab forgets it.
const TOKEN_KEY = "keyhold.security_token";
let onSessionLost: () => void = () => {};

export function setSecurityToken(token: string | null): void {
  if (token === null) sessionStorage.removeItem(TOKEN_KEY);
  else sessionStorage.setItem(TOKEN_KEY, token);
}

export function hasSecurityToken(): boolean {
  return sessionStorage.getItem(TOKEN_KEY) !== null;
}

/** Called when the server no longer accepts the session, so the app can show the login page. */
export function whenSessionLost(callback: () => void): void {
  onSessionLost = callback;
}

type Method = "GET" | "POST" | "PUT" | "DELETE";

export interface CallOptions {
  /** For the login call itself: a 401 means a wrong password, not an ended session. */
  readonly anonymous?: boolean;
}

/** Calls `/api/v1<path>` and returns `msg`, or throws an ApiError with the API's own message. */
export async function api<T>(method: Method, path: string, body?: unknown, options: CallOptions = {}): Promise<T> {
  const headers: Record<string, string> = { accept: "application/json" };
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (token !== null && options.anonymous !== true) headers["x-csrf-token"] = token;
  if (body !== undefined) headers["content-type"] = "application/json";
  let response: Response;
  try {
    response = await fetch(`/api/v1${path}`, { method, headers, credentials: "same-origin", ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  } catch {
    throw new ApiError("Keyhold is not reachable. Check the connection and try again.", 0, null);
  }
  const envelope = (await response.json().catch(() => null)) as Envelope<T> | null;
  if (response.ok && envelope?.status === "success") return envelope.msg;
  const retryAfter = Number(response.headers.get("retry-after"));
  const error = new ApiError(envelope?.error || `The server answered HTTP ${response.status}.`, response.status, Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : null);
  if (response.status === 401 && options.anonymous !== true) {
    setSecurityToken(null);
    onSessionLost();
  }
  throw error;
}

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export function query(params: Record<string, string | number | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== undefined && value !== "") search.set(key, String(value));
  const text = search.toString();
  return text === "" ? "" : `?${text}`;
}
