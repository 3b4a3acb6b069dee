import { printable } from "./account.js";
import { holdsAllPrivilegesOf, requireAcl, type Actor } from "./actor.js";
import { auditRecord } from "./audit.js";
import type { ChangeFeed } from "./changes.js";
import type { Clock } from "./clock.js";
import {
  accessKeySignature,
  formatAccessHashFile,
  generateWhmAccessHash,
  isImportableWhmAccessHash,
  normalizeWhmAccessHash,
  whmAccessHashDigest,
  whmAccessHashesEnabled,
} from "./credentials/whm-access-hash.js";
import { KeyholdError, forbidden, invalidArgument } from "./errors.js";
import type { SecretBox } from "./secret-box.js";
import type { Settings } from "./settings.js";
import type { UsageRecorder } from "./usage.js";
import type { AuditAppender, Transactional, WhmAccessHashRecords } from "./storage/record-store.js";
import type { AccountRecord } from "./storage/records.js";
import { findAccount, mayActOnWhmAccessHashOf, type AccountsByName } from "./tenancy.js";

export interface WhmAccessHashView {
  readonly user: string;
  /** The hash with no whitespace, as WHM's `accesshash` function returns it. */
  readonly accesshash: string;
  readonly signature: string;
  readonly createdAt: number;
  readonly lastUsedAt: number | null;
  readonly lastUsedIp: string | null;
}

type Operation = "load" | "generate";

/**
 * WHM's access hash ("Remote Access Key"): one per root or reseller account, with WHM's rules
 * and error strings (reference §1.4). Unlike WHM it is encrypted at rest and found by a keyed
 * digest, so the database alone does not reveal it.
 */
export class WhmAccessHashService {
  constructor(
    private readonly store: WhmAccessHashRecords & AccountsByName & Transactional<WhmAccessHashRecords & AuditAppender>,
    private readonly secretBox: SecretBox,
    private readonly changes: ChangeFeed,
    private readonly usage: UsageRecorder,
    private readonly clock: Clock,
    private readonly settings: () => Settings,
  ) {}

  /** WHM refuses the API for access hashes while the Tweak Setting is off. */
  requireEnabled(): void {
    if (!whmAccessHashesEnabled(this.settings())) {
      throw forbidden(
        "Access hash authentication is disabled. Enable the Tweak Setting “allow_deprecated_accesshash” to use access hashes, or use API tokens instead.",
      );
    }
  }

  async read(actor: Actor, username: string | undefined): Promise<WhmAccessHashView> {
    const target = await this.target(actor, username, "load");
    const record = await this.store.getAccessHash(target.id);
    if (record === null) throw new KeyholdError("NOT_FOUND", `No accesshash exists for ${target.username}`);
    const accesshash = this.secretBox.open(record.sealed, target.id);
    // Only a different key file (or an altered row) makes this fail; the operator must act.
    if (accesshash === null) throw new KeyholdError("SECRET_UNREADABLE", "There was a problem loading the accesshash.");
    return {
      user: target.username,
      accesshash,
      signature: accessKeySignature(accesshash),
      createdAt: record.createdAt,
      ...this.usage.lastUse(target.id, record),
    };
  }

  /** Replaces the account's hash; the old one stops working on the next request. */
  async generate(actor: Actor, username: string | undefined): Promise<WhmAccessHashView> {
    const target = await this.target(actor, username, "generate");
    return this.install(actor, target, generateWhmAccessHash(), "accesshash.generate");
  }

  /**
   * Stores a hash taken from a cPanel server's `~/.accesshash`. One already held is never
   * replaced: "same" when it is this hash, "different" when Keyhold holds another one.
   */
  async importHash(actor: Actor, target: AccountRecord, accesshash: string, options: { dryRun?: boolean } = {}): Promise<"imported" | "same" | "different"> {
    const normalized = normalizeWhmAccessHash(accesshash);
    if (!isImportableWhmAccessHash(normalized)) throw invalidArgument("An access hash is lowercase hexadecimal text of at least 32 characters.");
    if (target.role === "user") throw invalidArgument(`User ${target.username} is not a reseller.`);
    const existing = await this.store.getAccessHash(target.id);
    if (existing !== null) return existing.digest === whmAccessHashDigest(this.secretBox, normalized) ? "same" : "different";
    if (options.dryRun !== true) await this.install(actor, target, normalized, "accesshash.import");
    return "imported";
  }

  exportFile(view: WhmAccessHashView): string {
    return formatAccessHashFile(view.accesshash);
  }

  private async install(actor: Actor, target: AccountRecord, accesshash: string, action: string): Promise<WhmAccessHashView> {
    const now = this.clock.now();
    await this.store.transaction(async (tx) => {
      await tx.putAccessHash({
        accountId: target.id,
        digest: whmAccessHashDigest(this.secretBox, accesshash),
        sealed: this.secretBox.seal(accesshash, target.id),
        createdAt: now,
        lastUsedAt: null,
        lastUsedIp: null,
      });
      await tx.appendAudit(auditRecord(now, actor, action, target.username));
    });
    await this.changes.publish({ kind: "credentials", accountId: target.id });
    return { user: target.username, accesshash, signature: accessKeySignature(accesshash), createdAt: now, lastUsedAt: null, lastUsedIp: null };
  }

  // The order of checks and the wording are WHM's (Whostmgr/AccessHash.pm).
  private async target(actor: Actor, username: string | undefined, operation: Operation): Promise<AccountRecord> {
    requireAcl(actor, "manage-api-tokens");
    const name = username === undefined || username === "" ? actor.username : username;
    if (!mayActOnWhmAccessHashOf(actor, name)) {
      throw new KeyholdError("FORBIDDEN", `You do not have access to ${operation} another user's accesshash`);
    }
    const account = await findAccount(this.store, name);
    if (account === null || account.role === "user") throw invalidArgument(`User ${printable(name)} is not a reseller.`);
    // WHM lets any holder of manage-api-tokens do this; the hash has every privilege of its
    // account, so Keyhold asks the caller to hold them all (a limited token does not).
    if (!holdsAllPrivilegesOf(actor, account)) {
      throw new KeyholdError("FORBIDDEN", `You do not have access to ${operation} the accesshash of ${account.username}: it carries privileges this credential does not have.`);
    }
    return account;
  }
}
