import type { FastifyRequest } from "fastify";
import { KeyholdError } from "../core/errors.js";
import type { Keyhold } from "../core/keyhold.js";
import type { Identity } from "../core/verify.js";
import { readCredential } from "./credentials.js";

export const ACCESS_DENIED = "Access denied: the user name or the credentials are not valid.";

/**
 * Authenticates the request or throws the error its API renders: 401 for missing or wrong
 * credentials (never saying which part was wrong), 429 with Retry-After while locked out.
 */
export async function authenticate(keyhold: Keyhold, request: FastifyRequest, securityToken: string | null): Promise<Identity> {
  const credential = readCredential(request, securityToken);
  if (credential === null) {
    throw new KeyholdError("UNAUTHENTICATED", "Authentication required: send an API token (“Authorization: whm user:token”), an access hash (cookie “access_hash” or “Authorization: Bearer”), HTTP Basic credentials, or a session.");
  }
  const outcome = await keyhold.verifier.verify(credential, { ip: request.ip });
  if (outcome.valid) {
    request.identity = outcome.identity;
    return outcome.identity;
  }
  if (outcome.code === "LOCKED_OUT") {
    const seconds = outcome.retryAfterSeconds ?? 60;
    throw new KeyholdError("RATE_LIMITED", `Too many failed logins: try again in ${seconds} seconds.`, { retryAfterSeconds: seconds });
  }
  throw new KeyholdError("UNAUTHENTICATED", ACCESS_DENIED);
}
