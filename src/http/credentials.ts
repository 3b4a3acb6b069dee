import type {} from "@fastify/cookie";
import type { FastifyRequest } from "fastify";
import { hasControlCharacters } from "../core/account.js";
import type { PresentedCredential } from "../core/credentials/kind.js";
import { KeyholdError, invalidArgument } from "../core/errors.js";

export const SESSION_COOKIE = "whostmgrsession";
/** PUQ's cookie for IP-bound access hashes. */
export const IP_ACCESS_HASH_COOKIE = "access_hash";

const SCHEME = /^([A-Za-z]+) +(.*)$/s;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Why an Authorization header yields no credential. Faults are answers for the caller to word
 * (a request is refused, the verify API says NOT_FOUND), not exceptions.
 */
export type AuthorizationFault =
  /** A scheme Keyhold takes, but not in the form it takes it; `reason` is for the client. */
  | { readonly fault: "malformed"; readonly reason: string }
  /** A scheme Keyhold does not take, as the client spelled it. */
  | { readonly fault: "unsupported-scheme"; readonly scheme: string }
  /** CR/LF and other controls are bad input, refused as such before any credential is read. */
  | { readonly fault: "control-characters" };

/** What the header holds: the credential itself (the common case costs nothing more), or the fault. */
export type ParsedAuthorization = PresentedCredential | AuthorizationFault;

const CONTROL_CHARACTERS: AuthorizationFault = { fault: "control-characters" };

function malformed(reason: string): AuthorizationFault {
  return { fault: "malformed", reason };
}

const MALFORMED_HEADER = malformed("The Authorization header is malformed.");
const BASIC_NOT_BASE64 = malformed("The Basic credentials are not valid base64.");
const BASIC_WITHOUT_USER = malformed("The Basic credentials must be user:password.");
const WHM_WITHOUT_USER = malformed("user name not provided or invalid user");
const WHM_WITHOUT_SECRET = malformed("No token given.");
const BEARER_WITHOUT_SECRET = malformed("No access hash given.");

/**
 * Reads the credential a request carries: the Authorization header (Basic, WHM's
 * `whm user:secret` in any letter case, or `Bearer <access hash>`), else the session cookie with
 * its `cpsess` token, else PUQ's `access_hash` cookie. Returns null when the request carries none,
 * and throws the error its API renders when what it carries cannot be read.
 */
export function readCredential(request: FastifyRequest, securityToken: string | null): PresentedCredential | null {
  const header = request.headers.authorization;
  if (header !== undefined) {
    const parsed = parseAuthorization(header);
    if ("fault" in parsed) throw authorizationError(parsed);
    return parsed;
  }
  const session = request.cookies[SESSION_COOKIE];
  if (session !== undefined && securityToken !== null) {
    rejectControlCharacters(session, "Cookie");
    return { scheme: "session", secret: session, securityToken };
  }
  const ipAccessHash = request.cookies[IP_ACCESS_HASH_COOKIE];
  if (ipAccessHash !== undefined) {
    rejectControlCharacters(ipAccessHash, "Cookie");
    return { scheme: "ip-access-hash", secret: ipAccessHash.trim() };
  }
  return null;
}

export function parseAuthorization(header: string): ParsedAuthorization {
  if (hasControlCharacters(header)) return CONTROL_CHARACTERS;
  const match = SCHEME.exec(header.trim());
  if (match === null) return MALFORMED_HEADER;
  const scheme = match[1]!.toLowerCase();
  const value = match[2]!.trim();
  if (scheme === "basic") {
    if (!BASE64.test(value)) return BASIC_NOT_BASE64;
    const decoded = Buffer.from(value, "base64").toString("utf8");
    if (hasControlCharacters(decoded)) return CONTROL_CHARACTERS;
    const colon = decoded.indexOf(":");
    if (colon < 1) return BASIC_WITHOUT_USER;
    return { scheme: "password", username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
  }
  if (scheme === "whm") {
    const colon = value.indexOf(":");
    if (colon < 1) return WHM_WITHOUT_USER;
    const secret = value.slice(colon + 1);
    if (secret === "") return WHM_WITHOUT_SECRET;
    return { scheme: "whm", username: value.slice(0, colon), secret };
  }
  if (scheme === "bearer") {
    if (value === "") return BEARER_WITHOUT_SECRET;
    return { scheme: "ip-access-hash", secret: value };
  }
  return { fault: "unsupported-scheme", scheme: match[1]! };
}

/** The error a request with this header is refused with: 400 for control characters, else 401. */
export function authorizationError(fault: AuthorizationFault): KeyholdError {
  switch (fault.fault) {
    case "control-characters":
      return controlCharactersError("Authorization");
    case "malformed":
      return new KeyholdError("UNAUTHENTICATED", fault.reason);
    case "unsupported-scheme":
      if (fault.scheme.toLowerCase() === "cpanel") {
        return new KeyholdError("UNAUTHENTICATED", "cPanel account tokens are not accepted by the WHM API; send “Authorization: whm user:token”.");
      }
      return new KeyholdError("UNAUTHENTICATED", `The authorization scheme “${fault.scheme.slice(0, 20)}” is not supported; use “whm user:token” or Basic.`);
  }
}

/** CR/LF in a header-derived value is how CVE-2026-41940 forged session data; refuse them all. */
export function rejectControlCharacters(value: string, headerName: string): void {
  if (hasControlCharacters(value)) throw controlCharactersError(headerName);
}

function controlCharactersError(headerName: string): KeyholdError {
  return invalidArgument(`The ${headerName} header contains control characters.`);
}
