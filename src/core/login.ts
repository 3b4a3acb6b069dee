import type { AclSet } from "./acl.js";
import type { Account } from "./account.js";
import type { Keyhold } from "./keyhold.js";
import type { NewSession } from "./sessions.js";

export interface LoginAttempt {
  readonly username: string;
  readonly password: string;
  /** The client's address: brute-force limits count against it and the session records it. */
  readonly ip: string;
}

/** How a password login ended; each way in words it in its own envelope. */
export type LoginOutcome =
  | { readonly kind: "logged-in"; readonly account: Account; readonly acls: AclSet; readonly session: NewSession }
  /** Wrong user or password, or a suspended account: one answer, so nobody learns which. */
  | { readonly kind: "invalid" }
  /** Too many failed logins from this address or for this user. */
  | { readonly kind: "locked-out"; readonly retryAfterSeconds: number }
  /** Too many password checks running at once, from this address or on the whole server. */
  | { readonly kind: "busy"; readonly scope: "address" | "server"; readonly retryAfterSeconds: number }
  /** The password is right, but a cPanel user has no business in Keyhold's management. */
  | { readonly kind: "role-not-allowed"; readonly account: Account };

export type ThrottledLogin = Extract<LoginOutcome, { kind: "locked-out" | "busy" }>;

// Verification always says how long to wait; this only covers a lockout that forgot to.
const DEFAULT_RETRY_AFTER_SECONDS = 60;

/**
 * A password login that hands out a session: the one place that decides who may have one.
 * Failures are audited and counted by the verifier, the new session by the session service.
 */
export async function logIn(keyhold: Pick<Keyhold, "verifier" | "sessions">, attempt: LoginAttempt): Promise<LoginOutcome> {
  const outcome = await keyhold.verifier.verify({ scheme: "password", username: attempt.username, password: attempt.password }, { ip: attempt.ip });
  if (!outcome.valid) {
    if (outcome.code !== "LOCKED_OUT") return { kind: "invalid" };
    const retryAfterSeconds = outcome.retryAfterSeconds ?? DEFAULT_RETRY_AFTER_SECONDS;
    return outcome.busy === undefined ? { kind: "locked-out", retryAfterSeconds } : { kind: "busy", scope: outcome.busy, retryAfterSeconds };
  }
  const { account, acls } = outcome.identity;
  if (account.role === "user") return { kind: "role-not-allowed", account };
  const session = await keyhold.sessions.create(account, attempt.ip);
  return { kind: "logged-in", account, acls, session };
}
