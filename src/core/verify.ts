import { hash, timingSafeEqual } from "node:crypto";
import { AclSet } from "./acl.js";
import type { CredentialKindName } from "./actor.js";
import { accountAcls, hasControlCharacters, isValidUsername, type Account } from "./account.js";
import { normalizeAccessHash } from "./access-hash.js";
import { mayBeIssuedToken, tokenDigest } from "./api-token.js";
import { auditRecord } from "./audit.js";
import { isLockout, type BruteForceGuard, type Reservation, type Subject } from "./brute-force.js";
import type { Clock } from "./clock.js";
import type { Directory } from "./directory.js";
import type { HashingGate } from "./hashing-gate.js";
import { addressInList } from "./ip.js";
import { hasIpAccessHashShape, ipAccessHashDigest } from "./ip-access-hashes.js";
import type { PasswordHasher } from "./password.js";
import type { SecretBox } from "./secret-box.js";
import type { Settings } from "./settings.js";
import type { UsageRecorder } from "./usage.js";
import type { AuditAppender } from "./storage/record-store.js";
import type { ApiTokenRecord } from "./storage/records.js";
import type { PasswordCache } from "./password-cache.js";

/** A credential as a client presented it, already split out of its header or cookie. */
export type PresentedCredential =
  | { readonly scheme: "password"; readonly username: string; readonly password: string }
  | { readonly scheme: "whm"; readonly username: string; readonly secret: string }
  | { readonly scheme: "session"; readonly secret: string; readonly securityToken: string }
  | { readonly scheme: "ip-access-hash"; readonly secret: string };

export interface CredentialRef {
  readonly kind: CredentialKindName;
  readonly id: string | null;
  readonly name: string | null;
}

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
interface Failure {
  readonly outcome: VerifyOutcome & { valid: false };
  readonly audit: AuditCode;
  readonly guess: boolean;
}

type Resolution = { readonly outcome: VerifyOutcome; readonly failure: Failure | null; readonly reservation?: Reservation };

export const ACCESS_HASH_DISABLED_REASON = "Access hash authentication is disabled on this server (allow_deprecated_accesshash is 0).";
export const TOKEN_EXPIRED_REASON = "This API token has expired.";

function guess(audit: AuditCode): Resolution {
  return { outcome: NOT_FOUND, failure: { outcome: NOT_FOUND, audit, guess: true } };
}

function refused(code: FailureCode, audit: AuditCode, reason?: string): Resolution {
  const outcome: VerifyOutcome & { valid: false } = reason === undefined ? { valid: false, code } : { valid: false, code, reason };
  return { outcome, failure: { outcome, audit, guess: false } };
}

const NOT_FOUND: VerifyOutcome & { valid: false } = { valid: false, code: "NOT_FOUND" };

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
}

/**
 * The one verification core: every way in (WHM headers, Basic, sessions, and the verify API for
 * other applications) ends here, with the same expiry, IP, ACL, brute-force and audit rules.
 * A credential that does not verify is an outcome, never an exception.
 */
export class Verifier {
  constructor(private readonly deps: VerifierDependencies) {}

  async verify(credential: PresentedCredential, context: VerifyContext): Promise<VerifyOutcome> {
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
    if (outcome.valid && context.requiredAcls !== undefined) {
      const { acls } = outcome.identity;
      if (!context.requiredAcls.every((acl) => acls.has(acl))) outcome = { valid: false, code: "ACL_DENIED" };
    }
    const { failure, reservation } = resolution;
    if (failure !== null && credential.scheme !== "session") {
      await this.recordFailure(credential.scheme, claimedUser ?? "", subject, failure, reservation ?? null, now);
    } else if (reservation !== undefined) {
      this.deps.guard.release(reservation);
    }
    return outcome;
  }

  private resolve(credential: PresentedCredential, subject: Subject, now: number): Promise<Resolution> {
    switch (credential.scheme) {
      case "password":
        return this.resolvePassword(credential.username, credential.password, subject, now);
      case "whm":
        return this.resolveWhm(credential.username, credential.secret, subject.ip, now);
      case "session":
        return this.resolveSession(credential.secret, credential.securityToken, now);
      case "ip-access-hash":
        return this.resolveIpAccessHash(credential.secret, subject.ip, now);
    }
  }

  private async resolveIpAccessHash(secret: string, ip: string, now: number): Promise<Resolution> {
    if (!hasIpAccessHashShape(secret)) return guess("BAD_ACCESS_HASH");
    const record = await this.deps.directory.ipAccessHash(ipAccessHashDigest(secret));
    if (record === null) return guess("BAD_ACCESS_HASH");
    if (record.expiresAt !== null && record.expiresAt <= now) return refused("EXPIRED", "ACCESS_HASH_EXPIRED", "This access hash has expired.");
    if (!addressInList([record.ip], ip)) return refused("IP_NOT_ALLOWED", "IP_NOT_ALLOWED");
    const account = await this.deps.directory.accountById(record.accountId);
    if (account === null) return refused("NOT_FOUND", "ACCOUNT_GONE");
    if (account.suspended) return refused("ACCOUNT_SUSPENDED", "ACCOUNT_SUSPENDED");
    this.deps.usage.record("ip-access-hash", record.id, now, ip);
    return valid(account, accountAcls(account), { kind: "ip-access-hash", id: record.id, name: record.name });
  }

  /**
   * A password guess is the one check that costs real time, so it is bounded twice before it
   * runs: it needs one of the few hashing slots, and a place under the brute-force limits that
   * counts while it is evaluated. However many arrive at once, no more are evaluated than the
   * limits allow.
   */
  private async resolvePassword(username: string, password: string, subject: Subject, now: number): Promise<Resolution> {
    const account = isValidUsername(username) ? await this.deps.directory.accountByUsername(username) : null;
    // A password this process verified lately is no guess; it costs one SHA-256.
    if (account !== null && account.passwordHash !== null && this.deps.passwords.matches(account, password)) return this.passwordAccepted(account);

    const entered = this.deps.hashing.enter(subject.ip, subject.caller);
    if (!(entered instanceof Promise)) return { outcome: { valid: false, code: "LOCKED_OUT", retryAfterSeconds: 1, busy: entered.busy }, failure: null };
    const leave = await entered;
    try {
      const reserved = this.deps.guard.reserve(subject, now);
      const reservation = reserved instanceof Promise ? await reserved : reserved;
      if (isLockout(reservation)) return { outcome: { valid: false, code: "LOCKED_OUT", retryAfterSeconds: reservation.retryAfterSeconds }, failure: null };
      try {
        if (account === null || account.passwordHash === null) {
          await this.deps.hasher.verifyAgainstDecoy(password);
          return { ...guess(account === null ? "UNKNOWN_USER" : "NO_PASSWORD_SET"), reservation };
        }
        if (!(await this.deps.hasher.verify(password, account.passwordHash))) return { ...guess("BAD_PASSWORD"), reservation };
      } catch (error) {
        this.deps.guard.release(reservation);
        throw error;
      }
      this.deps.passwords.remember(account, password);
      return { ...this.passwordAccepted(account), reservation };
    } finally {
      leave();
    }
  }

  private passwordAccepted(account: Account): Resolution {
    if (account.suspended) return refused("ACCOUNT_SUSPENDED", "ACCOUNT_SUSPENDED");
    return valid(account, accountAcls(account), { kind: "password", id: null, name: null });
  }

  private async resolveWhm(username: string, secret: string, ip: string, now: number): Promise<Resolution> {
    if (!isValidUsername(username)) return guess("UNKNOWN_USER");
    const found = this.deps.directory.accountByUsername(username);
    const account = found instanceof Promise ? await found : found;
    if (account === null) return guess("UNKNOWN_USER");
    const index = this.deps.directory.credentials(account.id);
    const credentials = index instanceof Promise ? await index : index;

    const token = this.findToken(credentials.tokens, secret);
    if (token !== null) {
      if (account.suspended) return refused("ACCOUNT_SUSPENDED", "ACCOUNT_SUSPENDED");
      // WHM treats an expired token as absent; its holder still learns why.
      if (token.expiresAt !== null && token.expiresAt <= now) return refused("EXPIRED", "TOKEN_EXPIRED", TOKEN_EXPIRED_REASON);
      if (token.whitelistIps !== null && !addressInList(token.whitelistIps, ip)) return refused("IP_NOT_ALLOWED", "IP_NOT_ALLOWED");
      this.deps.usage.record("api-token", token.id, now, ip);
      return valid(account, tokenAcls(account, token), { kind: "api-token", id: token.id, name: token.name });
    }

    const accessHash = credentials.accessHash;
    if (accessHash !== null) {
      // Compared whatever the setting says, so a real hash refused by policy is told apart from a guess.
      const presented = Buffer.from(this.deps.secretBox.digest(normalizeAccessHash(secret)), "hex");
      const stored = Buffer.from(accessHash.digest, "hex");
      if (presented.length === stored.length && timingSafeEqual(presented, stored)) {
        if (this.deps.settings().allow_deprecated_accesshash !== 1) return refused("NOT_FOUND", "ACCESS_HASH_DISABLED", ACCESS_HASH_DISABLED_REASON);
        if (account.role === "user") return refused("NOT_FOUND", "ACCESS_HASH_NOT_FOR_USERS");
        if (account.suspended) return refused("ACCOUNT_SUSPENDED", "ACCOUNT_SUSPENDED");
        this.deps.usage.record("accesshash", account.id, now, ip);
        return valid(account, accountAcls(account), { kind: "accesshash", id: account.id, name: null });
      }
    }
    return guess("BAD_TOKEN");
  }

  private findToken(tokens: ReadonlyMap<string, ApiTokenRecord>, secret: string): ApiTokenRecord | null {
    if (tokens.size === 0) return null;
    // One SHA-512 and a map lookup: checking the checksum first would cost a second hash on every
    // valid request to save one on a mistyped one. No secret is compared, so there is nothing to
    // compare in constant time: the lookup's timing tells only about digests, which give away no
    // token (finding a token from its digest is a preimage attack on SHA-512).
    const token = tokens.get(tokenDigest(secret));
    if (token === undefined) return null;
    // A created token passed its checksum when it was made; a string in WHM's shape with a wrong
    // checksum can only be a token imported from cPanel, never a converted one.
    if (token.origin === "converted" && !mayBeIssuedToken(secret)) return null;
    return token;
  }

  private async resolveSession(secret: string, securityToken: string, now: number): Promise<Resolution> {
    // Session failures are neither counted nor audited: a stale cookie is what every browser
    // sends after a logout, and a session secret cannot be guessed.
    const session = await this.deps.directory.session(sessionDigest(secret));
    if (session === null || session.expiresAt <= now) return SESSION_REFUSED;
    // The cpsess token (path segment or header) must match the cookie's session: a cookie alone,
    // which a browser attaches to any cross-site request, is not enough.
    if (!constantTimeEqual(securityToken, session.securityToken)) return SESSION_REFUSED;
    const account = await this.deps.directory.accountById(session.accountId);
    if (account === null) return SESSION_REFUSED;
    if (account.suspended) return { outcome: { valid: false, code: "ACCOUNT_SUSPENDED" }, failure: null };
    return valid(account, accountAcls(account), { kind: "session", id: session.id, name: null });
  }

  private async recordFailure(scheme: string, claimedUser: string, subject: Subject, failure: Failure, reservation: Reservation | null, now: number): Promise<void> {
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

const SESSION_REFUSED: Resolution = { outcome: NOT_FOUND, failure: null };

function valid(account: Account, acls: AclSet, credential: CredentialRef): Resolution {
  return { outcome: { valid: true, code: "VALID", identity: { account, acls, credential } }, failure: null };
}

/**
 * A token's effective privileges (reference §3.3): none listed means the owner's current
 * privileges; a root-level owner gets exactly the list; anyone else the intersection.
 */
export function tokenAcls(account: Account, token: ApiTokenRecord): AclSet {
  const owner = accountAcls(account);
  if (token.acls === null || token.acls.includes("all")) return owner;
  return owner.rootLevel ? new AclSet(token.acls) : owner.intersect(token.acls);
}

function constantTimeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

export function sessionDigest(secret: string): string {
  return hash("sha256", secret, "hex");
}
