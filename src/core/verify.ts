import { hash, timingSafeEqual } from "node:crypto";
import { AclSet } from "./acl.js";
import type { CredentialKindName } from "./actor.js";
import { accountAcls, hasControlCharacters, isValidUsername, type Account } from "./account.js";
import { normalizeAccessHash } from "./access-hash.js";
import { mayBeIssuedToken, tokenDigest } from "./api-token.js";
import { auditRecord } from "./audit.js";
import type { BruteForceGuard } from "./brute-force.js";
import type { Clock } from "./clock.js";
import type { Directory } from "./directory.js";
import { addressInList } from "./ip.js";
import { hasIpAccessHashShape, ipAccessHashDigest } from "./ip-access-hashes.js";
import type { PasswordHasher } from "./password.js";
import type { SecretBox } from "./secret-box.js";
import type { Settings } from "./settings.js";
import type { UsageRecorder } from "./usage.js";
import type { ApiTokenRecord, Store } from "../store/store.js";
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
  | { readonly valid: false; readonly code: FailureCode; readonly retryAfterSeconds?: number };

export interface VerifyContext {
  readonly ip: string;
  /** Privileges the operation needs; a valid credential lacking one is ACL_DENIED. */
  readonly requiredAcls?: readonly string[];
}

const NOT_FOUND: VerifyOutcome = { valid: false, code: "NOT_FOUND" };
const EXPIRED: VerifyOutcome = { valid: false, code: "EXPIRED" };
const IP_NOT_ALLOWED: VerifyOutcome = { valid: false, code: "IP_NOT_ALLOWED" };
const SUSPENDED: VerifyOutcome = { valid: false, code: "ACCOUNT_SUSPENDED" };

export interface VerifierDependencies {
  readonly store: Store;
  readonly directory: Directory;
  readonly secretBox: SecretBox;
  readonly guard: BruteForceGuard;
  readonly usage: UsageRecorder;
  readonly passwords: PasswordCache;
  readonly hasher: PasswordHasher;
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
    // Cached answers come as plain values; awaiting only real promises spares the hot path a
    // turn of the event loop's microtask queue for each.
    const checked = this.deps.guard.check(context.ip, credential.scheme === "password" ? credential.username : null, now);
    const lockout = checked instanceof Promise ? await checked : checked;
    if (lockout !== null) return { valid: false, code: "LOCKED_OUT", retryAfterSeconds: lockout.retryAfterSeconds };

    let outcome = await this.resolve(credential, context.ip, now);
    if (outcome.valid && context.requiredAcls !== undefined) {
      const { acls } = outcome.identity;
      if (!context.requiredAcls.every((acl) => acls.has(acl))) outcome = { valid: false, code: "ACL_DENIED" };
    }
    if (!outcome.valid && outcome.code !== "ACL_DENIED" && credential.scheme !== "session") {
      await this.recordFailure(credential.scheme, claimedUser ?? "", context.ip, outcome.code, now);
    }
    return outcome;
  }

  private resolve(credential: PresentedCredential, ip: string, now: number): Promise<VerifyOutcome> {
    switch (credential.scheme) {
      case "password":
        return this.resolvePassword(credential.username, credential.password);
      case "whm":
        return this.resolveWhm(credential.username, credential.secret, ip, now);
      case "session":
        return this.resolveSession(credential.secret, credential.securityToken, now);
      case "ip-access-hash":
        return this.resolveIpAccessHash(credential.secret, ip, now);
    }
  }

  private async resolveIpAccessHash(secret: string, ip: string, now: number): Promise<VerifyOutcome> {
    if (!hasIpAccessHashShape(secret)) return NOT_FOUND;
    const record = await this.deps.directory.ipAccessHash(ipAccessHashDigest(secret));
    if (record === null) return NOT_FOUND;
    if (record.expiresAt !== null && record.expiresAt <= now) return EXPIRED;
    if (!addressInList([record.ip], ip)) return IP_NOT_ALLOWED;
    const account = await this.deps.directory.accountById(record.accountId);
    if (account === null) return NOT_FOUND;
    if (account.suspended) return SUSPENDED;
    this.deps.usage.record("ip-access-hash", record.id, now, ip);
    return valid(account, accountAcls(account), { kind: "ip-access-hash", id: record.id, name: record.name });
  }

  private async resolvePassword(username: string, password: string): Promise<VerifyOutcome> {
    const account = isValidUsername(username) ? await this.deps.directory.accountByUsername(username) : null;
    if (account === null || account.passwordHash === null) {
      await this.deps.hasher.verifyAgainstDecoy(password);
      return NOT_FOUND;
    }
    const known = this.deps.passwords.matches(account, password);
    if (!known && !(await this.deps.hasher.verify(password, account.passwordHash))) return NOT_FOUND;
    if (!known) this.deps.passwords.remember(account, password);
    if (account.suspended) return SUSPENDED;
    return valid(account, accountAcls(account), { kind: "password", id: null, name: null });
  }

  private async resolveWhm(username: string, secret: string, ip: string, now: number): Promise<VerifyOutcome> {
    if (!isValidUsername(username)) return NOT_FOUND;
    const found = this.deps.directory.accountByUsername(username);
    const account = found instanceof Promise ? await found : found;
    if (account === null) return NOT_FOUND;
    const index = this.deps.directory.credentials(account.id);
    const credentials = index instanceof Promise ? await index : index;

    const token = this.findToken(credentials.tokens, secret);
    if (token !== null) {
      if (account.suspended) return SUSPENDED;
      // WHM treats an expired token as absent; callers still learn why (the verify API reports it).
      if (token.expiresAt !== null && token.expiresAt <= now) return EXPIRED;
      if (token.whitelistIps !== null && !addressInList(token.whitelistIps, ip)) return IP_NOT_ALLOWED;
      this.deps.usage.record("api-token", token.id, now, ip);
      return valid(account, tokenAcls(account, token), { kind: "api-token", id: token.id, name: token.name });
    }

    const accessHash = credentials.accessHash;
    if (accessHash !== null && this.deps.settings().allow_deprecated_accesshash === 1 && account.role !== "user") {
      const presented = Buffer.from(this.deps.secretBox.digest(normalizeAccessHash(secret)), "hex");
      const stored = Buffer.from(accessHash.digest, "hex");
      if (presented.length === stored.length && timingSafeEqual(presented, stored)) {
        if (account.suspended) return SUSPENDED;
        this.deps.usage.record("accesshash", account.id, now, ip);
        return valid(account, accountAcls(account), { kind: "accesshash", id: account.id, name: null });
      }
    }
    return NOT_FOUND;
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

  private async resolveSession(secret: string, securityToken: string, now: number): Promise<VerifyOutcome> {
    const session = await this.deps.directory.session(sessionDigest(secret));
    if (session === null || session.expiresAt <= now) return NOT_FOUND;
    // The cpsess token (path segment or header) must match the cookie's session: a cookie alone,
    // which a browser attaches to any cross-site request, is not enough.
    if (!constantTimeEqual(securityToken, session.securityToken)) return NOT_FOUND;
    const account = await this.deps.directory.accountById(session.accountId);
    if (account === null) return NOT_FOUND;
    if (account.suspended) return SUSPENDED;
    return valid(account, accountAcls(account), { kind: "session", id: session.id, name: null });
  }

  private async recordFailure(scheme: string, claimedUser: string, ip: string, code: string, now: number): Promise<void> {
    const username = isValidUsername(claimedUser) ? claimedUser : null;
    await this.deps.guard.recordFailure(ip, scheme === "password" ? username : null, now);
    const actor = username ?? (claimedUser === "" || hasControlCharacters(claimedUser) ? "-" : "(invalid username)");
    try {
      // auditRecord defaults to "success"; without this a failed login read as a successful one.
      await this.deps.store.appendAudit(auditRecord(now, { username: actor, ip }, "login.failure", actor, { outcome: "failure", detail: { scheme, code } }));
    } catch (error) {
      this.deps.onBackgroundError(error);
    }
  }
}

function valid(account: Account, acls: AclSet, credential: CredentialRef): VerifyOutcome {
  return { valid: true, code: "VALID", identity: { account, acls, credential } };
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
