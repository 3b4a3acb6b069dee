import { randomInt } from "node:crypto";
import { printable, type Account } from "./account.js";
import type { AclSet } from "./acl.js";
import { actsAsAccount, holdsAllPrivilegesOf, requireAcl, type Actor } from "./actor.js";
import { auditRecord } from "./audit.js";
import type { ChangeFeed } from "./changes.js";
import { epochSeconds, type Clock } from "./clock.js";
import { apiTokenAcls, apiTokenDigest, generateApiToken, isApiTokenDigest, isApiTokenExpired } from "./credentials/api-token.js";
import { normalizeWhmAccessHash } from "./credentials/whm-access-hash.js";
import { KeyholdError, conflict, forbidden, invalidArgument, notFound } from "./errors.js";
import { newId } from "./ids.js";
import { assertTokenName, tokenAclList, tokenExpiry, tokenWhitelist } from "./token-rules.js";
import type { UsageRecorder } from "./usage.js";
import { isOwnAccount, requireMayManageTokensOf, visibleAccount, type AccountsByName } from "./tenancy.js";
import { DuplicateRecordError } from "./storage/errors.js";
import type { ApiTokenRecords, AuditAppender, Transactional } from "./storage/record-store.js";
import type { AccountRecord, ApiTokenRecord, TokenOrigin } from "./storage/records.js";

/** A token as listed: never the plaintext, never the digest. */
export interface TokenView {
  readonly id: string;
  readonly owner: string;
  readonly name: string;
  readonly createdAt: number;
  readonly expiresAt: number | null;
  readonly expired: boolean;
  /** As stored; null is full access. */
  readonly acls: readonly string[] | null;
  /** What the token may do right now, after the owner's current privileges. */
  readonly effectiveAcls: AclSet;
  readonly whitelistIps: readonly string[] | null;
  readonly lastUsedAt: number | null;
  readonly lastUsedIp: string | null;
  readonly origin: TokenOrigin;
}

export interface CreatedToken extends TokenView {
  /** The only time the plaintext exists outside the client. */
  readonly token: string;
}

export interface TokenCreateInput {
  readonly name: string;
  readonly acls?: readonly string[];
  /** Epoch seconds as text, as WHM takes it. */
  readonly expiresAt?: string;
  readonly whitelistIps?: readonly string[];
}

export interface TokenUpdateInput {
  readonly newName?: string;
  readonly acls?: readonly string[];
  readonly expiresAt?: string;
  readonly whitelistIps?: readonly string[];
}

export interface ImportedToken {
  readonly name: string;
  readonly digest: string;
  readonly createdAt: number;
  readonly acls: readonly string[] | null;
  readonly whitelistIps: readonly string[] | null;
  readonly expiresAt: number | null;
}

export type ImportResult = { readonly status: "imported"; readonly token: TokenView } | { readonly status: "exists"; readonly token: TokenView };

/** WHM API tokens (reference §3): named, ACL-scoped, expiring, IP-bound, stored as SHA-512. */
export class TokenService {
  constructor(
    private readonly store: ApiTokenRecords & AccountsByName & Transactional<ApiTokenRecords & AuditAppender>,
    private readonly changes: ChangeFeed,
    private readonly usage: UsageRecorder,
    private readonly clock: Clock,
  ) {}

  async create(actor: Actor, ownerName: string, input: TokenCreateInput): Promise<CreatedToken> {
    const owner = await this.issuerFor(actor, ownerName);
    if (owner.suspended) throw forbidden(`You cannot create an API token for the suspended account “${owner.username}”.`);
    assertTokenName(input.name);
    const now = this.clock.now();
    const acls = tokenAclList(actor, input.acls ?? []);
    if (acls === null) assertMayGrantFullAccess(actor, owner);
    const expiresAt = tokenExpiry(input.expiresAt, now);
    const whitelistIps = tokenWhitelist(input.whitelistIps ?? []);
    const token = generateApiToken();
    const record: ApiTokenRecord = {
      id: newId("tok", now),
      accountId: owner.id,
      name: input.name,
      digest: apiTokenDigest(token),
      acls,
      whitelistIps,
      expiresAt,
      createdAt: now,
      lastUsedAt: null,
      lastUsedIp: null,
      origin: "created",
    };
    await this.store.transaction(async (tx) => {
      if ((await tx.getApiTokenByName(owner.id, input.name)) !== null) throw duplicateName(input.name);
      await tx.insertApiToken(record).catch(rethrowDuplicate(input.name));
      await tx.appendAudit(auditRecord(now, actor, "token.create", `${owner.username}/${input.name}`, { detail: tokenAuditDetail(record) }));
    });
    await this.announce(owner);
    return { ...this.view(owner, record), token };
  }

  async list(actor: Actor, ownerName: string): Promise<TokenView[]> {
    const owner = await this.ownerFor(actor, ownerName);
    return (await this.store.listApiTokens(owner.id)).map((record) => this.view(owner, record));
  }

  /** By plaintext, as WHM's `api_token_get_details`: null when unknown or expired. */
  async details(actor: Actor, ownerName: string, token: string): Promise<TokenView | null> {
    if (token === "") throw invalidArgument("The parameter “token” is required.");
    const owner = await this.ownerFor(actor, ownerName);
    const record = await this.store.findApiTokenByDigest(owner.id, apiTokenDigest(token));
    if (record === null || isApiTokenExpired(record, this.clock.now())) return null;
    return this.view(owner, record);
  }

  async get(actor: Actor, ownerName: string, name: string): Promise<TokenView> {
    const owner = await this.ownerFor(actor, ownerName);
    const record = await this.store.getApiTokenByName(owner.id, name);
    if (record === null) throw notFound(`The API token “${printable(name)}” does not exist.`);
    return this.view(owner, record);
  }

  async update(actor: Actor, ownerName: string, name: string, input: TokenUpdateInput): Promise<TokenView> {
    const owner = await this.issuerFor(actor, ownerName);
    const now = this.clock.now();
    if (input.newName === undefined && input.acls === undefined && input.whitelistIps === undefined && input.expiresAt === undefined) {
      throw invalidArgument("Specify a new name, updated ACLs, or IPs.");
    }
    if (input.newName !== undefined) assertTokenName(input.newName);
    const acls = input.acls === undefined ? undefined : tokenAclList(actor, input.acls);
    if (acls === null) assertMayGrantFullAccess(actor, owner);
    const patch = {
      ...(input.newName === undefined ? {} : { name: input.newName }),
      ...(acls === undefined ? {} : { acls }),
      ...(input.expiresAt === undefined ? {} : { expiresAt: tokenExpiry(input.expiresAt, now) }),
      ...(input.whitelistIps === undefined ? {} : { whitelistIps: tokenWhitelist(input.whitelistIps) }),
    };
    const updated = await this.store.transaction(async (tx) => {
      const record = await tx.getApiTokenByName(owner.id, name);
      if (record === null) throw notFound(`The API token “${printable(name)}” does not exist.`);
      if (patch.name !== undefined && patch.name !== name && (await tx.getApiTokenByName(owner.id, patch.name)) !== null) {
        throw conflict(`An API token with the name “${patch.name}” already exists.`);
      }
      await tx.updateApiToken(record.id, patch).catch(rethrowDuplicate(patch.name ?? name));
      const next = { ...record, ...patch };
      await tx.appendAudit(auditRecord(now, actor, "token.update", `${owner.username}/${name}`, { detail: tokenAuditDetail(next) }));
      return next;
    });
    await this.announce(owner);
    return this.view(owner, updated);
  }

  /** Revokes the named tokens; names that do not exist are ignored, as WHM does. */
  async revoke(actor: Actor, ownerName: string, names: readonly string[]): Promise<string[]> {
    const wanted = names.filter((name) => name !== "");
    if (wanted.length === 0) throw invalidArgument("Provide at least one “token_name” argument.");
    const owner = await this.ownerFor(actor, ownerName);
    const now = this.clock.now();
    const revoked = await this.store.transaction(async (tx) => {
      const done: string[] = [];
      for (const name of new Set(wanted)) {
        const record = await tx.getApiTokenByName(owner.id, name);
        if (record === null) continue;
        await tx.deleteApiToken(record.id);
        await tx.appendAudit(auditRecord(now, actor, "token.revoke", `${owner.username}/${name}`));
        done.push(name);
      }
      return done;
    });
    if (revoked.length > 0) await this.announce(owner);
    return revoked;
  }

  /**
   * Adds a token known only by its SHA-512 (a converted access hash, a cPanel token file). A
   * token whose digest the account already holds is left exactly as it is: what an admin
   * changed since (name, ACLs, IPs, expiry) survives a second run.
   */
  async importDigest(actor: Actor, owner: AccountRecord, token: ImportedToken, origin: TokenOrigin): Promise<ImportResult> {
    if (!isApiTokenDigest(token.digest)) throw invalidArgument("A token hash is 128 lowercase hexadecimal characters (SHA-512).");
    assertTokenName(token.name);
    const now = this.clock.now();
    const result = await this.store.transaction(async (tx): Promise<ImportResult> => {
      const existing = await tx.findApiTokenByDigest(owner.id, token.digest);
      if (existing !== null) return { status: "exists", token: this.view(owner, existing) };
      if ((await tx.getApiTokenByName(owner.id, token.name)) !== null) throw duplicateName(token.name);
      const record: ApiTokenRecord = {
        id: newId("tok", now),
        accountId: owner.id,
        name: token.name,
        digest: token.digest,
        acls: token.acls,
        whitelistIps: token.whitelistIps,
        expiresAt: token.expiresAt,
        createdAt: token.createdAt,
        lastUsedAt: null,
        lastUsedIp: null,
        origin,
      };
      await tx.insertApiToken(record).catch(rethrowDuplicate(token.name));
      await tx.appendAudit(auditRecord(now, actor, `token.${origin === "converted" ? "convert" : "import"}`, `${owner.username}/${token.name}`, { detail: tokenAuditDetail(record) }));
      return { status: "imported", token: this.view(owner, record) };
    });
    if (result.status === "imported") await this.announce(owner);
    return result;
  }

  /** The owner's token with this SHA-512, or null; no privilege check, for an import deciding what it holds already. */
  async findByDigest(owner: AccountRecord, digest: string): Promise<TokenView | null> {
    const record = await this.store.findApiTokenByDigest(owner.id, digest);
    return record === null ? null : this.view(owner, record);
  }

  /**
   * `convert_accesshash_to_token` for one account: the access hash (whitespace removed) becomes
   * a full-access token named `accesshash-<time>`, so callers keep sending the same string. The
   * access hash itself stays.
   */
  async convertAccessHash(actor: Actor, owner: AccountRecord, accesshash: string): Promise<ImportResult> {
    const digest = apiTokenDigest(normalizeWhmAccessHash(accesshash));
    const existing = await this.store.findApiTokenByDigest(owner.id, digest);
    if (existing !== null) return { status: "exists", token: this.view(owner, existing) };
    const seconds = epochSeconds(this.clock.now());
    let name = `accesshash-${seconds}`;
    for (let attempt = 0; attempt < 25; attempt++) {
      try {
        return await this.importDigest(actor, owner, { name, digest, createdAt: this.clock.now(), acls: null, whitelistIps: null, expiresAt: null }, "converted");
      } catch (error) {
        if (!(error instanceof KeyholdError && error.code === "CONFLICT")) throw error;
        name = `accesshash-${seconds}-${randomSuffix()}`;
      }
    }
    throw conflict("Cannot import accesshash: no free token name after 25 attempts.");
  }

  private view(owner: Account, record: ApiTokenRecord): TokenView {
    return {
      id: record.id,
      owner: owner.username,
      name: record.name,
      createdAt: record.createdAt,
      expiresAt: record.expiresAt,
      expired: isApiTokenExpired(record, this.clock.now()),
      acls: record.acls,
      effectiveAcls: apiTokenAcls(owner, record),
      whitelistIps: record.whitelistIps,
      ...this.usage.lastUse(record.id, record),
      origin: record.origin,
    };
  }

  /**
   * WHM's token functions act on the caller's own tokens. Keyhold also lets root-level callers,
   * and resellers with `manage-api-tokens` over accounts they own, manage another account's.
   */
  private async ownerFor(actor: Actor, ownerName: string): Promise<AccountRecord> {
    // Before the look-up, so that a missing privilege answers alike for accounts that exist and not.
    if (ownerName !== actor.username) requireAcl(actor, "manage-api-tokens");
    const owner = await visibleAccount(this.store, actor, ownerName);
    if (isOwnAccount(actor, owner)) {
      // Otherwise a token could lift its own whitelist and expiry, or mint an unbound sibling.
      if (!actsAsAccount(actor)) requireAcl(actor, "manage-api-tokens");
      return owner;
    }
    requireMayManageTokensOf(actor, owner);
    return owner;
  }

  /** Where a token is made or changed, as opposed to read or revoked. */
  private async issuerFor(actor: Actor, ownerName: string): Promise<AccountRecord> {
    const owner = await this.ownerFor(actor, ownerName);
    // A cPanel user has no access to WHM, whose credentials these tokens are; its tokens (for the
    // REST API and your own API) are issued by root or its reseller, with the limits they choose.
    if (owner.role === "user" && isOwnAccount(actor, owner)) throw forbidden(USER_MAY_NOT_ISSUE);
    return owner;
  }

  private async announce(owner: Account): Promise<void> {
    await this.changes.publish({ kind: "credentials", accountId: owner.id });
  }
}

export const USER_MAY_NOT_ISSUE = "This account has no access to WHM, so it cannot create or change API tokens; root or its reseller issues them.";

/**
 * Full access is whatever the owner holds at request time, so only a caller holding all of that
 * may grant it: otherwise a token limited to a few ACLs could mint an unlimited one.
 */
function assertMayGrantFullAccess(actor: Actor, owner: Account): void {
  if (!holdsAllPrivilegesOf(actor, owner)) {
    throw invalidArgument(
      `Invalid or unauthorized ACL(s) specified: all (a token without “acl” has every privilege of “${owner.username}”, more than this caller holds; list the ACLs the token needs)`,
    );
  }
}

function duplicateName(name: string): KeyholdError {
  return conflict(`A conflicting API token with the name “${name}” already exists.`);
}

function rethrowDuplicate(name: string): (error: unknown) => never {
  return (error: unknown) => {
    if (error instanceof DuplicateRecordError) throw duplicateName(name);
    throw error;
  };
}

function randomSuffix(): string {
  const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
  let suffix = "";
  for (let i = 0; i < 8; i++) suffix += alphabet[randomInt(alphabet.length)];
  return suffix;
}

function tokenAuditDetail(record: Pick<ApiTokenRecord, "acls" | "whitelistIps" | "expiresAt">): Record<string, string | number | null> {
  return {
    acls: record.acls === null ? "all" : record.acls.join(","),
    whitelist_ips: record.whitelistIps === null ? "any" : record.whitelistIps.join(","),
    expires_at: epochSeconds(record.expiresAt),
  };
}
