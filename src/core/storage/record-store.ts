import type { DirectorySource } from "./directory-source.js";
import type {
  AccountFilter,
  AccountPatch,
  AccountRecord,
  ApiTokenPatch,
  ApiTokenRecord,
  AuditRecord,
  IpAccessHashPatch,
  IpAccessHashRecord,
  NewAccount,
  SessionRecord,
  UsageUpdate,
  WhmAccessHashRecord,
} from "./records.js";

// The write side, one interface per kind of record, so that each service names the few it
// keeps. Each includes the directory's lookups of its kind: a service reads before it writes.

export interface AccountRecords extends Pick<DirectorySource, "getAccountByUsername" | "getAccountById"> {
  insertAccount(account: NewAccount): Promise<void>;
  listAccounts(filter?: AccountFilter): Promise<AccountRecord[]>;
  updateAccount(id: string, patch: AccountPatch): Promise<void>;
  /** Removes the account with its credentials and sessions; accounts it owned pass to `newOwner`. */
  deleteAccount(id: string, newOwner: string): Promise<void>;
}

export interface WhmAccessHashRecords extends Pick<DirectorySource, "getAccessHash"> {
  putAccessHash(record: WhmAccessHashRecord): Promise<void>;
}

export interface ApiTokenRecords extends Pick<DirectorySource, "listApiTokens"> {
  insertApiToken(token: ApiTokenRecord): Promise<void>;
  getApiTokenByName(accountId: string, name: string): Promise<ApiTokenRecord | null>;
  findApiTokenByDigest(accountId: string, digest: string): Promise<ApiTokenRecord | null>;
  updateApiToken(id: string, patch: ApiTokenPatch): Promise<void>;
  deleteApiToken(id: string): Promise<void>;
}

export interface IpAccessHashRecords extends Pick<DirectorySource, "findIpAccessHashByDigest"> {
  insertIpAccessHash(record: IpAccessHashRecord): Promise<void>;
  /** All of them, or those of the given accounts; newest first. */
  listIpAccessHashes(accountIds?: readonly string[]): Promise<IpAccessHashRecord[]>;
  getIpAccessHash(id: string): Promise<IpAccessHashRecord | null>;
  updateIpAccessHash(id: string, patch: IpAccessHashPatch): Promise<void>;
  deleteIpAccessHash(id: string): Promise<void>;
}

export interface SessionRecords extends Pick<DirectorySource, "findSessionByDigest"> {
  insertSession(session: SessionRecord): Promise<void>;
  deleteSession(id: string): Promise<void>;
  /** Ends every session of an account (its password changed). */
  deleteAccountSessions(accountId: string): Promise<void>;
  deleteExpiredSessions(now: number): Promise<number>;
}

export interface SettingRecords {
  getSettings(): Promise<Map<string, string>>;
  putSetting(key: string, value: string, now: number): Promise<void>;
}

/** Every service writes its accounting-log line next to the change it records. */
export interface AuditAppender {
  appendAudit(entry: AuditRecord): Promise<void>;
}

export interface UsageRecords {
  /** Last-use times, coalesced by the caller; a record that no longer exists is skipped. */
  recordUsage(updates: readonly UsageUpdate[]): Promise<void>;
}

export interface KeyFingerprints {
  /** The fingerprint of the key file the store's secrets are sealed with (never the key); null until recorded. */
  getKeyFingerprint(): Promise<string | null>;
  /**
   * Records the fingerprint unless one is recorded already, and returns the one the store holds
   * afterwards: of two processes binding different keys at once, one wins and the other sees it.
   */
  recordKeyFingerprint(fingerprint: string): Promise<string>;
}

/** Writes that must land together: `work` gets a handle whose writes commit all or none. */
export interface Transactional<Handle> {
  transaction<T>(work: (tx: Handle) => Promise<T>): Promise<T>;
}

/** The whole write side, as the services together use it. */
export type RecordStore = AccountRecords &
  WhmAccessHashRecords &
  ApiTokenRecords &
  IpAccessHashRecords &
  SessionRecords &
  SettingRecords &
  AuditAppender &
  UsageRecords &
  KeyFingerprints;
