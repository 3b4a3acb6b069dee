import type { AccountRecord, ApiTokenRecord, IpAccessHashRecord, SessionRecord, WhmAccessHashRecord } from "./records.js";

/**
 * The read side of verification: everything the directory loads, and through it every request's
 * credential check. Only lookups, so a cache in front of it stays correct by forgetting entries.
 */
export interface DirectorySource {
  getAccountByUsername(username: string): Promise<AccountRecord | null>;
  getAccountById(id: string): Promise<AccountRecord | null>;
  listApiTokens(accountId: string): Promise<ApiTokenRecord[]>;
  getAccessHash(accountId: string): Promise<WhmAccessHashRecord | null>;
  findIpAccessHashByDigest(digest: string): Promise<IpAccessHashRecord | null>;
  findSessionByDigest(digest: string): Promise<SessionRecord | null>;
}
