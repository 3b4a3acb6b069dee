import type { Account, Role } from "../core/account.js";

/**
 * The whole storage contract of Keyhold, in domain terms. Every backend (SQLite, PostgreSQL)
 * passes the same contract suite (`test/store-contract.ts`). Times are epoch milliseconds.
 */
export interface Store {
  insertAccount(account: NewAccount): Promise<void>;
  getAccountByUsername(username: string): Promise<AccountRecord | null>;
  getAccountById(id: string): Promise<AccountRecord | null>;
  listAccounts(filter?: AccountFilter): Promise<AccountRecord[]>;
  updateAccount(id: string, patch: AccountPatch): Promise<void>;
  /** Removes the account with its credentials and sessions; accounts it owned pass to `newOwner`. */
  deleteAccount(id: string, newOwner: string): Promise<void>;

  putAccessHash(record: AccessHashRecord): Promise<void>;
  getAccessHash(accountId: string): Promise<AccessHashRecord | null>;

  insertApiToken(token: ApiTokenRecord): Promise<void>;
  listApiTokens(accountId: string): Promise<ApiTokenRecord[]>;
  getApiTokenByName(accountId: string, name: string): Promise<ApiTokenRecord | null>;
  findApiTokenByDigest(accountId: string, digest: string): Promise<ApiTokenRecord | null>;
  updateApiToken(id: string, patch: ApiTokenPatch): Promise<void>;
  deleteApiToken(id: string): Promise<void>;

  insertIpAccessHash(record: IpAccessHashRecord): Promise<void>;
  /** All of them, or those of the given accounts; newest first. */
  listIpAccessHashes(accountIds?: readonly string[]): Promise<IpAccessHashRecord[]>;
  getIpAccessHash(id: string): Promise<IpAccessHashRecord | null>;
  findIpAccessHashByDigest(digest: string): Promise<IpAccessHashRecord | null>;
  updateIpAccessHash(id: string, patch: IpAccessHashPatch): Promise<void>;
  deleteIpAccessHash(id: string): Promise<void>;

  insertSession(session: SessionRecord): Promise<void>;
  findSessionByDigest(digest: string): Promise<SessionRecord | null>;
  deleteSession(id: string): Promise<void>;
  /** Ends every session of an account (its password changed). */
  deleteAccountSessions(accountId: string): Promise<void>;
  deleteExpiredSessions(now: number): Promise<number>;

  getSettings(): Promise<Map<string, string>>;
  putSetting(key: string, value: string, now: number): Promise<void>;

  appendAudit(entry: AuditRecord): Promise<void>;
  listAudit(filter: AuditFilter): Promise<AuditRecord[]>;

  /** Last-use times, coalesced by the caller; a record that no longer exists is skipped. */
  recordUsage(updates: readonly UsageUpdate[]): Promise<void>;

  /** The fingerprint of the key file the store's secrets are sealed with (never the key); null until recorded. */
  getKeyFingerprint(): Promise<string | null>;
  /**
   * Records the fingerprint unless one is recorded already, and returns the one the store holds
   * afterwards: of two processes binding different keys at once, one wins and the other sees it.
   */
  recordKeyFingerprint(fingerprint: string): Promise<string>;

  counts(): Promise<StoreCounts>;
  /** Empties every table, the key fingerprint included; only `migrate-store --force` calls it, inside the copy's transaction. */
  eraseAllData(): Promise<void>;
  /** Runs `work` atomically: every write through the given store commits together or not at all. */
  transaction<T>(work: (store: Store) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** Thrown by inserts and renames that would break a uniqueness rule (username, domain, token name…). */
export class DuplicateRecordError extends Error {
  override readonly name = "DuplicateRecordError";
}

export interface AccountRecord extends Account {
  readonly passwordHash: string | null;
}

export interface NewAccount {
  readonly id: string;
  readonly username: string;
  readonly role: Role;
  readonly owner: string;
  readonly domain: string | null;
  readonly acls: readonly string[];
  readonly passwordHash: string | null;
  readonly createdAt: number;
}

export interface AccountPatch {
  readonly role?: Role;
  readonly owner?: string;
  readonly acls?: readonly string[];
  readonly passwordHash?: string | null;
  readonly suspended?: boolean;
  readonly updatedAt: number;
}

export interface AccountFilter {
  readonly owner?: string;
  readonly role?: Role;
}

export interface AccessHashRecord {
  readonly accountId: string;
  /** Keyed digest of the hash with whitespace removed (SecretBox.digest). */
  readonly digest: string;
  /** The hash encrypted with the key file (SecretBox.seal). */
  readonly sealed: string;
  readonly createdAt: number;
  readonly lastUsedAt: number | null;
  readonly lastUsedIp: string | null;
}

export type TokenOrigin = "created" | "converted" | "imported";

export interface ApiTokenRecord {
  readonly id: string;
  readonly accountId: string;
  readonly name: string;
  /** SHA-512 hex of the plaintext, as cPanel stores it, so imported tokens keep working. */
  readonly digest: string;
  /** null: full access, resolved at request time. */
  readonly acls: readonly string[] | null;
  /** null: any address. */
  readonly whitelistIps: readonly string[] | null;
  readonly expiresAt: number | null;
  readonly createdAt: number;
  readonly lastUsedAt: number | null;
  readonly lastUsedIp: string | null;
  readonly origin: TokenOrigin;
}

export interface ApiTokenPatch {
  readonly name?: string;
  readonly acls?: readonly string[] | null;
  readonly whitelistIps?: readonly string[] | null;
  readonly expiresAt?: number | null;
}

/** A PUQ-style API access hash: one secret, bound to one address or range. */
export interface IpAccessHashRecord {
  readonly id: string;
  readonly accountId: string;
  readonly name: string;
  /** A normalised address or CIDR range (see core/ip.ts). */
  readonly ip: string;
  /** SHA-256 hex of the secret. */
  readonly digest: string;
  /** The secret's first characters, to tell hashes apart in listings. */
  readonly prefix: string;
  readonly createdAt: number;
  readonly expiresAt: number | null;
  readonly lastUsedAt: number | null;
  readonly lastUsedIp: string | null;
}

export interface IpAccessHashPatch {
  readonly name?: string;
  readonly ip?: string;
  readonly expiresAt?: number | null;
}

export interface SessionRecord {
  readonly id: string;
  readonly digest: string;
  readonly accountId: string;
  /** The `cpsess…` path segment that must accompany the cookie. */
  readonly securityToken: string;
  readonly createdAt: number;
  readonly expiresAt: number;
  readonly ip: string;
}

export interface AuditRecord {
  readonly id: string;
  readonly at: number;
  readonly actor: string;
  readonly ip: string;
  readonly action: string;
  readonly target: string;
  readonly outcome: "success" | "failure";
  readonly detail: Readonly<Record<string, string | number | boolean | null>>;
}

export interface AuditFilter {
  readonly actor?: string;
  readonly action?: string;
  readonly target?: string;
  readonly since?: number;
  readonly until?: number;
  /** Newest first; pass the last id seen to page further back. */
  readonly before?: string;
  readonly limit: number;
}

export type CredentialKind = "accesshash" | "api-token" | "ip-access-hash";

export interface UsageUpdate {
  readonly kind: CredentialKind;
  readonly id: string;
  readonly at: number;
  readonly ip: string;
}

export interface StoreCounts {
  readonly accounts: number;
  readonly resellers: number;
  readonly apiTokens: number;
  readonly accessHashes: number;
  readonly ipAccessHashes: number;
}
