import { hasControlCharacters, printable } from "./account.js";
import { holdsAllPrivilegesOf, requireAcl, type Actor } from "./actor.js";
import { auditRecord } from "./audit.js";
import type { ChangeFeed } from "./changes.js";
import type { Clock } from "./clock.js";
import { generateIpAccessHash, ipAccessHashDigest, ipAccessHashPrefix, isIpAccessHashExpired } from "./credentials/ip-access-hash.js";
import { forbidden, invalidArgument, notFound } from "./errors.js";
import { newId } from "./ids.js";
import { formatRange, parseRange } from "./ip.js";
import { ipAccessHashAccounts, managesIpAccessHashesOf, visibleAccount } from "./tenancy.js";
import type { UsageRecorder } from "./usage.js";
import type { AccountRecords, AuditAppender, IpAccessHashRecords, Transactional } from "./storage/record-store.js";
import type { AccountRecord, IpAccessHashRecord } from "./storage/records.js";

/** The hashes, and the accounts they belong to: who may see which depends on who owns whom. */
export type IpAccessHashStore = IpAccessHashRecords &
  Pick<AccountRecords, "getAccountByUsername" | "getAccountById" | "listAccounts"> &
  Transactional<IpAccessHashRecords & AuditAppender>;

const MAX_NAME_LENGTH = 100;

export interface IpAccessHashView {
  readonly id: string;
  readonly user: string;
  readonly name: string;
  readonly ip: string;
  /** The secret's first characters; the secret itself is never shown again. */
  readonly prefix: string;
  readonly createdAt: number;
  readonly expiresAt: number | null;
  readonly expired: boolean;
  readonly lastUsedAt: number | null;
  readonly lastUsedIp: string | null;
}

export interface CreatedIpAccessHash extends IpAccessHashView {
  readonly accessHash: string;
}

export interface IpAccessHashInput {
  readonly name: string;
  readonly ip: string;
  /** Epoch seconds; null or 0 for never. */
  readonly expiresAt?: number | null;
  /** The account it authenticates as; the caller's own by default. */
  readonly user?: string;
}

export interface IpAccessHashChanges {
  readonly name?: string;
  readonly ip?: string;
  readonly expiresAt?: number | null;
}

/**
 * PUQ-style API access hashes (Settings → API): each authenticates as its account, only from
 * one address or range, shown once, stored as a digest. Managed by root, or by a reseller with
 * `manage-api-tokens` for itself and the accounts it owns.
 */
export class IpAccessHashService {
  constructor(
    private readonly store: IpAccessHashStore,
    private readonly changes: ChangeFeed,
    private readonly usage: UsageRecorder,
    private readonly clock: Clock,
  ) {}

  async create(actor: Actor, input: IpAccessHashInput): Promise<CreatedIpAccessHash> {
    const owner = await this.ownerFor(actor, input.user ?? actor.username);
    assertMayBind(actor, owner);
    const now = this.clock.now();
    const secret = generateIpAccessHash();
    const record: IpAccessHashRecord = {
      id: newId("iah", now),
      accountId: owner.id,
      name: checkedName(input.name),
      ip: checkedIp(input.ip),
      digest: ipAccessHashDigest(secret),
      prefix: ipAccessHashPrefix(secret),
      createdAt: now,
      expiresAt: checkedExpiry(input.expiresAt ?? null, now),
      lastUsedAt: null,
      lastUsedIp: null,
    };
    await this.store.transaction(async (tx) => {
      await tx.insertIpAccessHash(record);
      await tx.appendAudit(auditRecord(now, actor, "ip-access-hash.create", `${owner.username}/${record.id}`, { detail: { name: record.name, ip: record.ip } }));
    });
    await this.announce(owner.id);
    return { ...this.view(owner, record), accessHash: secret };
  }

  /** Root level sees every hash; a reseller those of its own account and the accounts it owns. */
  async list(actor: Actor): Promise<IpAccessHashView[]> {
    requireAcl(actor, "manage-api-tokens");
    const { everyone, accounts } = await ipAccessHashAccounts(this.store, actor);
    const byId = new Map(accounts.map((account) => [account.id, account]));
    const records = await this.store.listIpAccessHashes(everyone ? undefined : [...byId.keys()]);
    return records.flatMap((record) => {
      const owner = byId.get(record.accountId);
      return owner === undefined ? [] : [this.view(owner, record)];
    });
  }

  async get(actor: Actor, id: string): Promise<IpAccessHashView> {
    const { owner, record } = await this.find(actor, id);
    return this.view(owner, record);
  }

  async update(actor: Actor, id: string, changes: IpAccessHashChanges): Promise<IpAccessHashView> {
    const { owner, record } = await this.find(actor, id);
    // A new address or expiry re-binds a credential with every privilege of its account.
    if (changes.ip !== undefined || changes.expiresAt !== undefined) assertMayBind(actor, owner);
    const now = this.clock.now();
    const patch = {
      ...(changes.name === undefined ? {} : { name: checkedName(changes.name) }),
      ...(changes.ip === undefined ? {} : { ip: checkedIp(changes.ip) }),
      ...(changes.expiresAt === undefined ? {} : { expiresAt: checkedExpiry(changes.expiresAt, now) }),
    };
    if (Object.keys(patch).length === 0) throw invalidArgument("Give a new name, ip or expires_at.");
    await this.store.transaction(async (tx) => {
      await tx.updateIpAccessHash(record.id, patch);
      await tx.appendAudit(auditRecord(now, actor, "ip-access-hash.update", `${owner.username}/${record.id}`, { detail: { name: patch.name ?? record.name, ip: patch.ip ?? record.ip } }));
    });
    await this.announce(owner.id);
    return this.view(owner, { ...record, ...patch });
  }

  async delete(actor: Actor, id: string): Promise<void> {
    const { owner, record } = await this.find(actor, id);
    const now = this.clock.now();
    await this.store.transaction(async (tx) => {
      await tx.deleteIpAccessHash(record.id);
      await tx.appendAudit(auditRecord(now, actor, "ip-access-hash.delete", `${owner.username}/${record.id}`, { detail: { name: record.name } }));
    });
    await this.announce(owner.id);
  }

  private async find(actor: Actor, id: string): Promise<{ owner: AccountRecord; record: IpAccessHashRecord }> {
    requireAcl(actor, "manage-api-tokens");
    const record = /^iah_[0-9a-z]{20}$/.test(id) ? await this.store.getIpAccessHash(id) : null;
    const owner = record === null ? null : await this.store.getAccountById(record.accountId);
    // Someone else's hash is reported as missing, so ids cannot be probed across resellers.
    if (record === null || owner === null || !managesIpAccessHashesOf(actor, owner)) throw notFound(`No API access hash with the id “${printable(id)}”.`);
    return { owner, record };
  }

  private async ownerFor(actor: Actor, username: string): Promise<AccountRecord> {
    requireAcl(actor, "manage-api-tokens");
    const owner = await visibleAccount(this.store, actor, username);
    // A reseller it owns: seen, but its hashes are root's to make.
    if (!managesIpAccessHashesOf(actor, owner)) throw forbidden(`You do not have access to the account “${owner.username}”.`);
    if (owner.suspended) throw forbidden(`The account “${owner.username}” is suspended.`);
    return owner;
  }

  private view(owner: AccountRecord, record: IpAccessHashRecord): IpAccessHashView {
    return {
      id: record.id,
      user: owner.username,
      name: record.name,
      ip: record.ip,
      prefix: record.prefix,
      createdAt: record.createdAt,
      expiresAt: record.expiresAt,
      expired: isIpAccessHashExpired(record, this.clock.now()),
      ...this.usage.lastUse(record.id, record),
    };
  }

  private async announce(accountId: string): Promise<void> {
    await this.changes.publish({ kind: "credentials", accountId });
  }
}

function checkedName(name: string): string {
  const trimmed = name.trim();
  if (trimmed === "" || trimmed.length > MAX_NAME_LENGTH || hasControlCharacters(trimmed)) {
    throw invalidArgument(`The name must be 1 to ${MAX_NAME_LENGTH} characters without control characters.`);
  }
  return trimmed;
}

function checkedIp(ip: string): string {
  const range = parseRange(ip);
  if (range === null) throw invalidArgument(`Invalid IP address or CIDR range: ${printable(ip)}`);
  return formatRange(range);
}

/** Epoch seconds in, epoch ms out; 0 and null mean never. */
function checkedExpiry(seconds: number | null, now: number): number | null {
  if (seconds === null || seconds === 0) return null;
  if (!Number.isSafeInteger(seconds) || seconds < 0) throw invalidArgument("expires_at must be a Unix time in seconds.");
  if (seconds * 1000 <= now) throw invalidArgument(`The “${seconds}” value must be a future date.`);
  return seconds * 1000;
}

/** An API access hash carries every privilege of its account: only a caller holding them all may make or re-bind one. */
function assertMayBind(actor: Actor, owner: AccountRecord): void {
  if (!holdsAllPrivilegesOf(actor, owner)) throw forbidden(`An API access hash carries every privilege of “${owner.username}”, more than this caller holds.`);
}
