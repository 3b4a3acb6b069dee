import type { FastifyRequest } from "fastify";
import { KeyholdError } from "../core/errors.js";
import type { Keyhold } from "../core/keyhold.js";
import type { PresentedCredential } from "../core/credentials/kind.js";
import type { Identity, RefusedOutcome } from "../core/credentials/outcome.js";
import { readCredential } from "./credentials.js";

export const ACCESS_DENIED = "Access denied: the user name or the credentials are not valid.";

export interface AuthenticateOptions {
  /** The `cpsess…` token that must accompany a session cookie; null where sessions are not taken. */
  readonly securityToken?: string | null;
  /** Privileges the request needs; a credential without them is refused with 403. */
  readonly requiredAcls?: readonly string[];
  /** The client's address when it is not the request's own (nginx's auth_request subrequest). */
  readonly ip?: string;
  /**
   * Refuse credentials a browser attaches by itself (Basic it has cached, cookies) on requests
   * that a browser says another site started: Keyhold's own APIs change things on GET too.
   */
  readonly refuseCrossSite?: boolean;
  /** An API token or access hash passes an address block (see VerifyContext); only root's way out uses it. */
  readonly tokensPassAddressBlock?: boolean;
}

// What browsers send in Sec-Fetch-Site for a request another site (or a sibling subdomain) made.
const CROSS_SITE = new Set(["cross-site", "same-site"]);

/**
 * Authenticates the request or throws the error its API renders: 401 for missing or wrong
 * credentials (never saying which part was wrong), 403 for missing privileges, 429 with
 * Retry-After while locked out.
 */
export async function authenticate(keyhold: Keyhold, request: FastifyRequest, options: AuthenticateOptions = {}): Promise<Identity> {
  const credential = readCredential(request, options.securityToken ?? null);
  if (credential === null) {
    throw new KeyholdError(
      "UNAUTHENTICATED",
      "Authentication required: send an API token (“Authorization: whm user:token”), an access hash (cookie “access_hash” or “Authorization: Bearer”), HTTP Basic credentials, or a session.",
    );
  }
  if (options.refuseCrossSite === true && isAmbient(request, credential) && CROSS_SITE.has(String(request.headers["sec-fetch-site"]))) {
    throw new KeyholdError(
      "FORBIDDEN",
      "This request came from another site, so the credentials the browser added (a password or a cookie) are not accepted. Send an API token in the Authorization header instead.",
    );
  }
  const outcome = await keyhold.verifier.verify(credential, {
    ip: options.ip ?? request.ip,
    ...(options.requiredAcls === undefined ? {} : { requiredAcls: options.requiredAcls }),
    ...(options.tokensPassAddressBlock === true ? { tokensPassAddressBlock: true } : {}),
  });
  if (!outcome.valid) throw refusal(outcome, options.requiredAcls);
  request.identity = outcome.identity;
  return outcome.identity;
}

/** The error every HTTP way in answers for an outcome that is not VALID. */
export function refusal(outcome: RefusedOutcome, requiredAcls: readonly string[] = []): KeyholdError {
  if (outcome.code === "LOCKED_OUT") {
    const seconds = outcome.retryAfterSeconds ?? 60;
    if (outcome.busy === "server") return new KeyholdError("UNAVAILABLE", `The server is busy checking other passwords: try again in ${seconds} seconds.`, { retryAfterSeconds: seconds });
    if (outcome.busy === "address") return new KeyholdError("RATE_LIMITED", `Too many password checks from this address at once: try again in ${seconds} seconds.`, { retryAfterSeconds: seconds });
    return new KeyholdError(
      "RATE_LIMITED",
      `Too many failed logins: try again in ${seconds} seconds, or ask root to lift the block with “keyhold brute-force flush <address or user>” or in Tweak Settings → Brute-force blocks.`,
      { retryAfterSeconds: seconds },
    );
  }
  if (outcome.code === "ACL_DENIED") {
    return new KeyholdError("FORBIDDEN", `Permission denied: this needs the privilege(s) ${requiredAcls.map((acl) => `“${acl}”`).join(", ")}.`);
  }
  // A policy reason goes only to whoever presented the real credential: a guess learns nothing.
  return new KeyholdError("UNAUTHENTICATED", outcome.reason ?? ACCESS_DENIED);
}

/** A credential the browser adds without the page's help: cached Basic, or any cookie. */
function isAmbient(request: FastifyRequest, credential: PresentedCredential): boolean {
  return credential.scheme === "password" || credential.scheme === "session" || (credential.scheme === "ip-access-hash" && request.headers.authorization === undefined);
}
