import type { FastifyRequest } from "fastify";
import { KeyholdError } from "../core/errors.js";
import type { Keyhold } from "../core/keyhold.js";
import type { Identity, VerifyOutcome } from "../core/verify.js";
import { readCredential } from "./credentials.js";

export const ACCESS_DENIED = "Access denied: the user name or the credentials are not valid.";

export interface AuthenticateOptions {
  /** The `cpsess…` token that must accompany a session cookie; null where sessions are not taken. */
  readonly securityToken?: string | null;
  /** Privileges the request needs; a credential without them is refused with 403. */
  readonly requiredAcls?: readonly string[];
  /** The client's address when it is not the request's own (nginx's auth_request subrequest). */
  readonly ip?: string;
}

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
  const outcome = await keyhold.verifier.verify(credential, {
    ip: options.ip ?? request.ip,
    ...(options.requiredAcls === undefined ? {} : { requiredAcls: options.requiredAcls }),
  });
  if (!outcome.valid) throw refusal(outcome, options.requiredAcls);
  request.identity = outcome.identity;
  return outcome.identity;
}

/** The error every HTTP way in answers for an outcome that is not VALID. */
export function refusal(outcome: Exclude<VerifyOutcome, { valid: true }>, requiredAcls: readonly string[] = []): KeyholdError {
  if (outcome.code === "LOCKED_OUT") {
    const seconds = outcome.retryAfterSeconds ?? 60;
    return new KeyholdError("RATE_LIMITED", `Too many failed logins: try again in ${seconds} seconds.`, { retryAfterSeconds: seconds });
  }
  if (outcome.code === "ACL_DENIED") {
    return new KeyholdError("FORBIDDEN", `Permission denied: this needs the privilege(s) ${requiredAcls.map((acl) => `“${acl}”`).join(", ")}.`);
  }
  return new KeyholdError("UNAUTHENTICATED", ACCESS_DENIED);
}
