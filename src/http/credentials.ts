import type {} from "@fastify/cookie";
import type { FastifyRequest } from "fastify";
import { hasControlCharacters } from "../core/account.js";
import { KeyholdError, invalidArgument } from "../core/errors.js";
import type { PresentedCredential } from "../core/verify.js";

export const SESSION_COOKIE = "whostmgrsession";
/** PUQ's cookie for API access hashes. */
export const ACCESS_HASH_COOKIE = "access_hash";

const SCHEME = /^([A-Za-z]+) +(.*)$/s;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Reads the credential a request carries: the Authorization header (Basic, WHM's
 * `whm user:secret` in any letter case, or `Bearer <access hash>`), else the session cookie with
 * its `cpsess` token, else PUQ's `access_hash` cookie. Returns null when the request carries none.
 */
export function readCredential(request: FastifyRequest, securityToken: string | null): PresentedCredential | null {
  const header = request.headers.authorization;
  if (header !== undefined) return parseAuthorization(header);
  const session = request.cookies[SESSION_COOKIE];
  if (session !== undefined && securityToken !== null) {
    rejectControlCharacters(session, "Cookie");
    return { scheme: "session", secret: session, securityToken };
  }
  const accessHash = request.cookies[ACCESS_HASH_COOKIE];
  if (accessHash !== undefined) {
    rejectControlCharacters(accessHash, "Cookie");
    return { scheme: "ip-access-hash", secret: accessHash.trim() };
  }
  return null;
}

export function parseAuthorization(header: string): PresentedCredential {
  rejectControlCharacters(header, "Authorization");
  const match = SCHEME.exec(header.trim());
  if (match === null) throw unauthenticated("The Authorization header is malformed.");
  const scheme = match[1]!.toLowerCase();
  const value = match[2]!.trim();
  if (scheme === "basic") {
    if (!BASE64.test(value)) throw unauthenticated("The Basic credentials are not valid base64.");
    const decoded = Buffer.from(value, "base64").toString("utf8");
    rejectControlCharacters(decoded, "Authorization");
    const colon = decoded.indexOf(":");
    if (colon < 1) throw unauthenticated("The Basic credentials must be user:password.");
    return { scheme: "password", username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
  }
  if (scheme === "whm") {
    const colon = value.indexOf(":");
    if (colon < 1) throw unauthenticated("user name not provided or invalid user");
    const secret = value.slice(colon + 1);
    if (secret === "") throw unauthenticated("No token given.");
    return { scheme: "whm", username: value.slice(0, colon), secret };
  }
  if (scheme === "bearer") {
    if (value === "") throw unauthenticated("No access hash given.");
    return { scheme: "ip-access-hash", secret: value };
  }
  if (scheme === "cpanel") throw unauthenticated("cPanel account tokens are not accepted by the WHM API; send “Authorization: whm user:token”.");
  throw unauthenticated(`The authorization scheme “${match[1]!.slice(0, 20)}” is not supported; use “whm user:token” or Basic.`);
}

/** CR/LF in a header-derived value is how CVE-2026-41940 forged session data; refuse them all. */
export function rejectControlCharacters(value: string, headerName: string): void {
  if (hasControlCharacters(value)) throw invalidArgument(`The ${headerName} header contains control characters.`);
}

function unauthenticated(message: string): KeyholdError {
  return new KeyholdError("UNAUTHENTICATED", message);
}
