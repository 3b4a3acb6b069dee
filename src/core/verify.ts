import { hasControlCharacters, isValidUsername } from "./account.js";
import { auditRecord } from "./audit.js";
import { isLockout, type BruteForceGuard, type Reservation, type Subject } from "./brute-force.js";
import type { Clock } from "./clock.js";
import { verifyApiToken } from "./credentials/api-token.js";
import { verifyIpAccessHash } from "./credentials/ip-access-hash.js";
import type { PresentedCredential, PresentedScheme } from "./credentials/kind.js";
import { guess, type CredentialRef, type Failure, type Resolution, type VerifyOutcome } from "./credentials/outcome.js";
import { checkPassword, passwordAccepted, type PasswordHasher, type WrongPassword } from "./credentials/password.js";
import type { PasswordCache } from "./credentials/password-cache.js";
import { verifySession } from "./credentials/session.js";
import { verifyWhmAccessHash } from "./credentials/whm-access-hash.js";
import type { Directory } from "./directory.js";
import type { HashingGate } from "./hashing-gate.js";
import { noMetrics, type KeyholdMetrics } from "./metrics.js";
import type { SecretBox } from "./secret-box.js";
import type { Settings } from "./settings.js";
import type { UsageRecorder } from "./usage.js";
import type { AuditAppender } from "./storage/record-store.js";
import type { AccountRecord } from "./storage/records.js";

export interface VerifyContext {
  readonly ip: string;
  /** Privileges the operation needs; a valid credential lacking one is ACL_DENIED. */
  readonly requiredAcls?: readonly string[];
  /** The verify-API caller asking on behalf of its client at `ip`: failures count against it, not the address. */
  readonly caller?: string;
  /**
   * Lets an API token or access hash (`whm user:secret`) through an address block, for root's
   * way out of one: flushing from the blocked machine itself. Such secrets cannot be guessed, and
   * a wrong one still counts as a failure. Passwords stay blocked.
   */
  readonly tokensPassAddressBlock?: boolean;
}

/** A resolution holding a place under the brute-force limits, which the verifier settles. */
type Reserved = Resolution & { readonly reservation?: Reservation };

export interface VerifierDependencies {
  /** Failed logins go to the audit log; everything else is read through the directory. */
  readonly audit: AuditAppender;
  readonly directory: Directory;
  readonly secretBox: SecretBox;
  readonly guard: BruteForceGuard;
  readonly usage: UsageRecorder;
  readonly passwords: PasswordCache;
  readonly hasher: PasswordHasher;
  readonly hashing: HashingGate;
  readonly clock: Clock;
  readonly settings: () => Settings;
  readonly onBackgroundError: (error: unknown) => void;
  readonly metrics?: KeyholdMetrics;
}

/**
 * The one verification core: every way in (WHM headers, Basic, sessions, and the verify API for
 * other applications) ends here, with the same expiry, IP, ACL, brute-force and audit rules.
 * Each kind of credential checks itself (src/core/credentials); what every kind shares (limits,
 * the audit log, last use, required privileges) happens here. A credential that does not verify
 * is an outcome, never an exception.
 */
export class Verifier {
  private readonly metrics: KeyholdMetrics;

  constructor(private readonly deps: VerifierDependencies) {
    this.metrics = deps.metrics ?? noMetrics;
  }

  /** Verifies, and reports it when metrics are on: one clock read at each end, and counters; nothing allocated for it. */
  verify(credential: PresentedCredential, context: VerifyContext): Promise<VerifyOutcome> {
    // Without a metrics endpoint, no timing and no extra async frame on the hot path.
    return this.metrics === noMetrics ? this.check(credential, context) : this.measured(credential, context);
  }

  private async measured(credential: PresentedCredential, context: VerifyContext): Promise<VerifyOutcome> {
    const started = performance.now();
    let outcome: VerifyOutcome;
    try {
      outcome = await this.check(credential, context);
    } catch (error) {
      this.metrics.verification(credential.scheme, "ERROR", (performance.now() - started) / 1000);
      throw error;
    }
    this.metrics.verification(credential.scheme, outcome.code, (performance.now() - started) / 1000);
    if (outcome.code === "LOCKED_OUT") this.metrics.lockout();
    return outcome;
  }

  private async check(credential: PresentedCredential, context: VerifyContext): Promise<VerifyOutcome> {
    const now = this.deps.clock.now();
    const claimedUser = credential.scheme === "password" || credential.scheme === "whm" ? credential.username : null;
    const subject: Subject = {
      ip: context.ip,
      username: credential.scheme === "password" && isValidUsername(credential.username) ? credential.username : null,
      caller: context.caller ?? null,
    };
    // Cached answers come as plain values; awaiting only real promises spares the hot path a
    // turn of the event loop's microtask queue for each.
    const checked = context.tokensPassAddressBlock === true && credential.scheme === "whm" ? null : this.deps.guard.check(subject, now);
    const lockout = checked instanceof Promise ? await checked : checked;
    if (lockout !== null) return { valid: false, code: "LOCKED_OUT", retryAfterSeconds: lockout.retryAfterSeconds };

    const resolution = await this.resolve(credential, subject, now);
    let outcome = resolution.outcome;
    if (outcome.valid) {
      this.recordUse(outcome.identity.credential, now, subject.ip);
      // A session's login was audited when it was created (session.create).
      const { credential: used, account } = outcome.identity;
      if (used.kind !== "session") this.deps.usage.recordLogin(account.username, used.kind, used.id, used.name, now, subject.ip);
      const { acls } = outcome.identity;
      if (context.requiredAcls !== undefined && !context.requiredAcls.every((acl) => acls.has(acl))) outcome = { valid: false, code: "ACL_DENIED" };
    }
    const { failure, reservation } = resolution;
    if (failure !== null && credential.scheme !== "session") {
      await this.recordFailure(credential.scheme, claimedUser ?? "", subject, failure, reservation ?? null, now);
    } else if (reservation !== undefined) {
      this.deps.guard.release(reservation);
    }
    return outcome;
  }

  private resolve(credential: PresentedCredential, subject: Subject, now: number): Promise<Reserved> {
    switch (credential.scheme) {
      case "password":
        return this.resolvePassword(credential.username, credential.password, subject, now);
      case "whm":
        return this.resolveWhm(credential.username, credential.secret, subject.ip, now);
      case "session":
        return verifySession(this.deps.directory, credential.secret, credential.securityToken, now);
      case "ip-access-hash":
        return verifyIpAccessHash(this.deps.directory, credential.secret, subject.ip, now);
    }
  }

  /**
   * A password guess is the one check that costs real time, so it is bounded twice before it
   * runs: it needs one of the few hashing slots, and a place under the brute-force limits that
   * counts while it is evaluated. However many arrive at once, no more are evaluated than the
   * limits allow.
   */
  private async resolvePassword(username: string, password: string, subject: Subject, now: number): Promise<Reserved> {
    const account = isValidUsername(username) ? await this.deps.directory.accountByUsername(username) : null;
    // A password this process verified lately is no guess; it costs one SHA-256.
    if (account !== null && account.passwordHash !== null && this.deps.passwords.matches(account, password)) return passwordAccepted(account);

    const entered = this.deps.hashing.enter(subject.ip, subject.caller);
    if (!(entered instanceof Promise)) return { outcome: { valid: false, code: "LOCKED_OUT", retryAfterSeconds: 1, busy: entered.busy }, failure: null };
    const leave = await entered;
    try {
      const reserved = this.deps.guard.reserve(subject, now);
      const reservation = reserved instanceof Promise ? await reserved : reserved;
      if (isLockout(reservation)) return { outcome: { valid: false, code: "LOCKED_OUT", retryAfterSeconds: reservation.retryAfterSeconds }, failure: null };
      let checked: AccountRecord | WrongPassword;
      try {
        checked = await checkPassword(this.deps.hasher, account, password);
      } catch (error) {
        this.deps.guard.release(reservation);
        throw error;
      }
      if (typeof checked === "string") return { ...guess(checked), reservation };
      this.deps.passwords.remember(checked, password);
      return { ...passwordAccepted(checked), reservation };
    } finally {
      leave();
    }
  }

  /** `whm user:secret` is one of the account's API tokens or its Remote Access Key, tried in that order. */
  private async resolveWhm(username: string, secret: string, ip: string, now: number): Promise<Resolution> {
    if (!isValidUsername(username)) return guess("UNKNOWN_USER");
    const found = this.deps.directory.accountByUsername(username);
    const account = found instanceof Promise ? await found : found;
    if (account === null) return guess("UNKNOWN_USER");
    const index = this.deps.directory.credentials(account.id);
    const credentials = index instanceof Promise ? await index : index;
    return verifyApiToken(account, credentials.tokens, secret, ip, now) ?? verifyWhmAccessHash(account, credentials.whmAccessHash, secret, this.deps) ?? guess("BAD_TOKEN");
  }

  private recordUse(credential: CredentialRef, now: number, ip: string): void {
    if (credential.kind === "password" || credential.kind === "session") return;
    this.deps.usage.record(credential.kind, credential.id, now, ip);
  }

  private async recordFailure(scheme: PresentedScheme, claimedUser: string, subject: Subject, failure: Failure, reservation: Reservation | null, now: number): Promise<void> {
    if (failure.guess) await this.deps.guard.recordFailure(subject, now, reservation);
    else if (reservation !== null) this.deps.guard.release(reservation);
    const username = isValidUsername(claimedUser) ? claimedUser : null;
    const actor = username ?? (claimedUser === "" || hasControlCharacters(claimedUser) ? "-" : "(invalid username)");
    const detail: Record<string, string | boolean> = { scheme, code: failure.audit, counted: failure.guess };
    if (subject.caller !== null) detail.caller = subject.caller;
    try {
      // auditRecord defaults to "success"; without this a failed login read as a successful one.
      await this.deps.audit.appendAudit(auditRecord(now, { username: actor, ip: subject.ip }, "login.failure", actor, { outcome: "failure", detail }));
    } catch (error) {
      this.deps.onBackgroundError(error);
    }
  }
}
