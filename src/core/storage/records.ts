import type { Account, Role } from "../account.js";
import type { UsageTrackedKind } from "../credentials/kind.js";

// The records the storage contracts trade in, in domain terms. Times are epoch milliseconds.

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

/** WHM's Remote Access Key: one per root or reseller account, kept by the account's id. */
export interface WhmAccessHashRecord {
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

export interface UsageUpdate {
  readonly kind: UsageTrackedKind;
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
