/** Row shapes as the database holds them; only `rows.ts` turns them into domain records. */
export interface Database {
  accounts: AccountsTable;
  access_hashes: WhmAccessHashesTable;
  api_tokens: ApiTokensTable;
  ip_access_hashes: IpAccessHashesTable;
  sessions: SessionsTable;
  settings: SettingsTable;
  audit_log: AuditLogTable;
  meta: MetaTable;
}

// PostgreSQL returns BIGINT as a string; SQLite as a number.
type BigIntColumn = number | string;

export interface AccountsTable {
  id: string;
  username: string;
  role: string;
  owner: string;
  domain: string | null;
  password_hash: string | null;
  acls: string;
  suspended: number;
  created_at: BigIntColumn;
  updated_at: BigIntColumn;
}

export interface WhmAccessHashesTable {
  account_id: string;
  digest: string;
  sealed: string;
  created_at: BigIntColumn;
  last_used_at: BigIntColumn | null;
  last_used_ip: string | null;
}

export interface ApiTokensTable {
  id: string;
  account_id: string;
  name: string;
  digest: string;
  acls: string | null;
  whitelist_ips: string | null;
  expires_at: BigIntColumn | null;
  created_at: BigIntColumn;
  last_used_at: BigIntColumn | null;
  last_used_ip: string | null;
  origin: string;
}

export interface IpAccessHashesTable {
  id: string;
  account_id: string;
  name: string;
  ip: string;
  digest: string;
  prefix: string;
  created_at: BigIntColumn;
  expires_at: BigIntColumn | null;
  last_used_at: BigIntColumn | null;
  last_used_ip: string | null;
}

export interface SessionsTable {
  id: string;
  digest: string;
  account_id: string;
  security_token: string;
  created_at: BigIntColumn;
  expires_at: BigIntColumn;
  ip: string;
}

export interface SettingsTable {
  key: string;
  value: string;
  updated_at: BigIntColumn;
}

export interface AuditLogTable {
  id: string;
  at: BigIntColumn;
  actor: string;
  ip: string;
  action: string;
  target: string;
  outcome: string;
  detail: string;
  /** Position in the store's hash chain (migration 004); null only before that migration ran. */
  seq: BigIntColumn | null;
  prev_hash: string | null;
  /** Null until sealed with the key file (rows from before the chain, or written without the key). */
  hash: string | null;
}

/** One row per fact about the store itself; `key_fingerprint` is the only one so far. */
export interface MetaTable {
  key: string;
  value: string;
}
