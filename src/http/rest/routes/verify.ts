import { Type } from "typebox";
import { VERIFY_ACL } from "../../../core/acl.js";
import { requireAcl } from "../../../core/actor.js";
import type { PresentedCredential } from "../../../core/credentials/kind.js";
import type { VerifyOutcome } from "../../../core/credentials/outcome.js";
import { invalidArgument } from "../../../core/errors.js";
import { parseAddress } from "../../../core/ip.js";
import { refusal } from "../../authenticate.js";
import { actorOf } from "../../context.js";
import { authorizationError, parseAuthorization, rejectControlCharacters } from "../../credentials.js";
import type { RestApp, RestContext } from "../app.js";
import { success } from "../present.js";
import { Success } from "../schemas.js";
import { errorResponses } from "./common.js";

const VerifyRequest = Type.Object({
  authorization: Type.Optional(Type.String({ maxLength: 8192, description: "The Authorization header value the client sent" })),
  access_hash: Type.Optional(Type.String({ maxLength: 1024, description: "The access_hash cookie value the client sent" })),
  ip: Type.String({ maxLength: 64, description: "The client's IP address" }),
  acls: Type.Optional(Type.Array(Type.String(), { description: "Privileges the operation needs" })),
});

const VerifyResult = Type.Object({
  valid: Type.Boolean(),
  code: Type.Union([
    Type.Literal("VALID"),
    Type.Literal("NOT_FOUND"),
    Type.Literal("EXPIRED"),
    Type.Literal("IP_NOT_ALLOWED"),
    Type.Literal("ACL_DENIED"),
    Type.Literal("LOCKED_OUT"),
    Type.Literal("ACCOUNT_SUSPENDED"),
  ]),
  user: Type.Optional(Type.String()),
  role: Type.Optional(Type.String()),
  acls: Type.Optional(Type.Array(Type.String())),
  credential: Type.Optional(Type.Object({ kind: Type.String(), id: Type.Union([Type.String(), Type.Null()]), name: Type.Union([Type.String(), Type.Null()]) })),
  retry_after: Type.Optional(Type.Integer({ description: "Seconds until a locked-out client may try again" })),
  reason: Type.Optional(Type.String({ description: "Why a real credential was refused by policy (expired, access hashes disabled); absent for a credential that matches nothing" })),
});

/** The credential in what the client sent; null when it is malformed (an answer, not an error). */
function presented(body: { authorization?: string | undefined; access_hash?: string | undefined }): PresentedCredential | null {
  if (body.authorization !== undefined && body.authorization !== "") {
    rejectControlCharacters(body.authorization, "authorization");
    const parsed = parseAuthorization(body.authorization);
    if (!("fault" in parsed)) return parsed;
    // Control characters are bad input from the caller; any other fault is a credential that matches nothing.
    if (parsed.fault === "control-characters") throw authorizationError(parsed);
    return null;
  }
  if (body.access_hash !== undefined && body.access_hash !== "") {
    rejectControlCharacters(body.access_hash, "access_hash");
    return { scheme: "ip-access-hash", secret: body.access_hash.trim() };
  }
  throw invalidArgument("Give the client's “authorization” header value or its “access_hash” cookie value.");
}

function present(outcome: VerifyOutcome) {
  if (!outcome.valid) {
    return {
      valid: false,
      code: outcome.code,
      ...(outcome.retryAfterSeconds === undefined ? {} : { retry_after: outcome.retryAfterSeconds }),
      ...(outcome.reason === undefined ? {} : { reason: outcome.reason }),
    };
  }
  const { account, acls, credential } = outcome.identity;
  return { valid: true, code: outcome.code, user: account.username, role: account.role, acls: acls.list(), credential: { kind: credential.kind, id: credential.id, name: credential.name } };
}

/**
 * `POST /api/v1/verify`: another application asks whether a credential its client sent is good,
 * with the same rules as Keyhold's own routes. An invalid credential is an answer, not an error.
 * Failures count against the caller and the client address together (and against the caller as
 * a whole), never against the address itself: the address is only the caller's word.
 */
export function registerVerifyRoute(app: RestApp, { keyhold }: RestContext): void {
  app.post("/verify", {
    schema: {
      tags: ["Verify"],
      summary: "Verify a credential a client of another application sent (needs the verify-credentials privilege)",
      body: VerifyRequest,
      response: { 200: Success(VerifyResult), ...errorResponses },
    },
    handler: async (request) => {
      const caller = actorOf(request);
      requireAcl(caller, VERIFY_ACL);
      const ip = request.body.ip.trim();
      if (parseAddress(ip) === null) throw invalidArgument(`“${ip.slice(0, 64)}” is not an IP address.`);
      const credential = presented(request.body);
      if (credential === null) return success(present({ valid: false, code: "NOT_FOUND" }));
      const outcome = await keyhold.verifier.verify(credential, { ip, caller: caller.username, ...(request.body.acls === undefined ? {} : { requiredAcls: request.body.acls }) });
      // Password checks at their limit say nothing about the credential: the caller should retry.
      if (!outcome.valid && outcome.busy !== undefined) throw refusal(outcome);
      return success(present(outcome));
    },
  });
}
