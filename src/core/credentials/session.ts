import { hash, randomBytes, randomInt, timingSafeEqual } from "node:crypto";
import { accountAcls } from "../account.js";
import type { Directory } from "../directory.js";
import { NOT_FOUND, accepted, type Resolution } from "./outcome.js";

// Sessions after a password login: a cookie secret, and the `cpsess` security token that must
// come with it (the path prefix WHM clients send back, or X-CSRF-Token for the REST API).

export const SESSION_TTL_MS = 24 * 60 * 60_000;

const SECURITY_TOKEN_SHAPE = /^cpsess\d{10}$/;

export function generateSessionSecret(): string {
  return randomBytes(32).toString("base64url");
}

/** `cpsess` and 10 digits, as cpsrvd makes them. */
export function generateSecurityToken(): string {
  let digits = "";
  for (let i = 0; i < 10; i++) digits += String(randomInt(10));
  return `cpsess${digits}`;
}

export function isSecurityToken(text: string): boolean {
  return SECURITY_TOKEN_SHAPE.test(text);
}

export function sessionDigest(secret: string): string {
  return hash("sha256", secret, "hex");
}

// Session failures are neither counted nor audited: a stale cookie is what every browser sends
// after a logout, and a session secret cannot be guessed.
const SESSION_REFUSED: Resolution = { outcome: NOT_FOUND, failure: null };

/** The live session with this secret and security token; a session carries every privilege of its account. */
export async function verifySession(directory: Directory, secret: string, securityToken: string, now: number): Promise<Resolution> {
  const session = await directory.session(sessionDigest(secret));
  if (session === null || session.expiresAt <= now) return SESSION_REFUSED;
  // The cpsess token (path segment or header) must match the cookie's session: a cookie alone,
  // which a browser attaches to any cross-site request, is not enough.
  if (!constantTimeEqual(securityToken, session.securityToken)) return SESSION_REFUSED;
  const account = await directory.accountById(session.accountId);
  if (account === null) return SESSION_REFUSED;
  if (account.suspended) return { outcome: { valid: false, code: "ACCOUNT_SUSPENDED" }, failure: null };
  return accepted(account, accountAcls(account), { kind: "session", id: session.id, name: null });
}

function constantTimeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
