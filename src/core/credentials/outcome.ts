import type { AclSet } from "../acl.js";
import type { Account } from "../account.js";
import type { CredentialKind } from "./kind.js";

// What verifying a credential answers: the outcome every way in sees, and, for the verifier
// alone, how a failure counts and what the audit log says about it.

export type CredentialRef =
  | { readonly kind: "password"; readonly id: null; readonly name: null }
  | { readonly kind: Exclude<CredentialKind, "password">; readonly id: string; readonly name: string | null };

export interface Identity {
  readonly account: Account;
  /** Effective privileges for this request: the account's, narrowed by a token's list. */
  readonly acls: AclSet;
  readonly credential: CredentialRef;
}

export type FailureCode = "NOT_FOUND" | "EXPIRED" | "IP_NOT_ALLOWED" | "ACL_DENIED" | "LOCKED_OUT" | "ACCOUNT_SUSPENDED";

export type VerifyOutcome =
  | { readonly valid: true; readonly code: "VALID"; readonly identity: Identity }
  | {
      readonly valid: false;
      readonly code: FailureCode;
      readonly retryAfterSeconds?: number;
      /** Why a real credential was refused by policy, for the one who presented it (it holds the secret already). */
      readonly reason?: string;
      /** LOCKED_OUT because password checks are at their limit, not because of failures. */
      readonly busy?: "address" | "server";
    };

export type RefusedOutcome = Extract<VerifyOutcome, { valid: false }>;

/**
 * Why a verification failed, in the audit log only: clients and the verify API keep their codes,
 * so nobody learns from an answer whether an account exists.
 */
export type AuditCode =
  | "UNKNOWN_USER"
  | "NO_PASSWORD_SET"
  | "BAD_PASSWORD"
  | "BAD_TOKEN"
  | "BAD_ACCESS_HASH"
  | "TOKEN_EXPIRED"
  | "ACCESS_HASH_EXPIRED"
  | "ACCESS_HASH_DISABLED"
  | "ACCESS_HASH_NOT_FOR_USERS"
  | "IP_NOT_ALLOWED"
  | "ACCOUNT_SUSPENDED"
  | "ACCOUNT_GONE";

/**
 * A failure and how it counts. A guess (a secret matching nothing) counts against the limits;
 * a real credential refused by policy (expired, disabled, wrong address, suspended) does not:
 * its holder is no guesser, and counting it let a stale credential lock out a working one.
 */
export interface Failure {
  readonly outcome: RefusedOutcome;
  readonly audit: AuditCode;
  readonly guess: boolean;
}

/** What one kind's check answers the verifier; `failure` null means nothing to count or audit. */
export interface Resolution {
  readonly outcome: VerifyOutcome;
  readonly failure: Failure | null;
}

export const NOT_FOUND: RefusedOutcome = { valid: false, code: "NOT_FOUND" };

export function guess(audit: AuditCode): Resolution {
  return { outcome: NOT_FOUND, failure: { outcome: NOT_FOUND, audit, guess: true } };
}

export function refused(code: FailureCode, audit: AuditCode, reason?: string): Resolution {
  const outcome: RefusedOutcome = reason === undefined ? { valid: false, code } : { valid: false, code, reason };
  return { outcome, failure: { outcome, audit, guess: false } };
}

export function accepted(account: Account, acls: AclSet, credential: CredentialRef): Resolution {
  return { outcome: { valid: true, code: "VALID", identity: { account, acls, credential } }, failure: null };
}
