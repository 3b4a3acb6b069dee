import type { IncomingHttpHeaders } from "node:http";
import type { Identity } from "../core/credentials/outcome.js";
import { IP_ACCESS_HASH_COOKIE, SESSION_COOKIE } from "./credentials.js";

/** The headers that tell a protected application who called; anything a client sends by these names is removed. */
export const IDENTITY_HEADERS = ["x-keyhold-user", "x-keyhold-acls", "x-keyhold-credential"] as const;

export function identityHeaders(identity: Identity): Record<(typeof IDENTITY_HEADERS)[number], string> {
  const { account, acls, credential } = identity;
  return {
    "x-keyhold-user": account.username,
    // Root level is "all" rather than every name: the application checks for "all" first.
    "x-keyhold-acls": acls.rootLevel ? "all" : acls.list().join(","),
    // kind:name for named credentials (tokens, access hashes); the kind alone for passwords.
    "x-keyhold-credential": credential.name !== null ? `${credential.kind}:${credential.name}` : credential.kind,
  };
}

const CREDENTIAL_COOKIES = new Set([IP_ACCESS_HASH_COOKIE, SESSION_COOKIE]);

/**
 * The request headers an upstream receives: the client's credentials (Authorization and the
 * credential cookies) removed, forged identity headers removed, Keyhold's identity added, and
 * the client's address as Keyhold determined it (the one its IP rules were checked against) in
 * place of any X-Real-IP / X-Forwarded-For the client wrote itself.
 */
export function forwardedHeaders(headers: IncomingHttpHeaders, identity: Identity, clientIp: string): IncomingHttpHeaders {
  const forwarded: IncomingHttpHeaders = { ...headers };
  delete forwarded.authorization;
  delete forwarded["proxy-authorization"];
  for (const name of IDENTITY_HEADERS) delete forwarded[name];
  const cookie = typeof headers.cookie === "string" ? withoutCredentialCookies(headers.cookie) : "";
  if (cookie === "") delete forwarded.cookie;
  else forwarded.cookie = cookie;
  return { ...forwarded, "x-real-ip": clientIp, "x-forwarded-for": clientIp, ...identityHeaders(identity) };
}

function withoutCredentialCookies(cookie: string): string {
  return cookie
    .split(";")
    .map((pair) => pair.trim())
    .filter((pair) => pair !== "" && !CREDENTIAL_COOKIES.has(pair.slice(0, pair.indexOf("=") === -1 ? pair.length : pair.indexOf("=")).trim()))
    .join("; ");
}
