import type { Role } from "../core/account.js";
import type { Selectable } from "kysely";
import type { AccountsTable, ApiTokensTable, AuditLogTable, IpAccessHashesTable, SessionsTable, WhmAccessHashesTable } from "./schema.js";
import type { AccountRecord, ApiTokenRecord, AuditRecord, IpAccessHashRecord, SessionRecord, TokenOrigin, WhmAccessHashRecord } from "../core/storage/records.js";

// The one place where rows become records: BIGINT strings, 0/1 flags and JSON text end here.

function toNumber(value: number | string): number {
  return typeof value === "number" ? value : Number(value);
}

function toNullableNumber(value: number | string | null): number | null {
  return value === null ? null : toNumber(value);
}

function toNullableList(json: string | null): string[] | null {
  return json === null ? null : (JSON.parse(json) as string[]);
}

export function listToJson(list: readonly string[] | null | undefined): string | null {
  return list === null || list === undefined ? null : JSON.stringify(list);
}

export function accountFromRow(row: Selectable<AccountsTable>): AccountRecord {
  return {
    id: row.id,
    username: row.username,
    role: row.role as Role,
    owner: row.owner,
    domain: row.domain,
    acls: JSON.parse(row.acls) as string[],
    suspended: toNumber(row.suspended) === 1,
    hasPassword: row.password_hash !== null,
    passwordHash: row.password_hash,
    createdAt: toNumber(row.created_at),
    updatedAt: toNumber(row.updated_at),
  };
}

export function whmAccessHashFromRow(row: Selectable<WhmAccessHashesTable>): WhmAccessHashRecord {
  return {
    accountId: row.account_id,
    digest: row.digest,
    sealed: row.sealed,
    createdAt: toNumber(row.created_at),
    lastUsedAt: toNullableNumber(row.last_used_at),
    lastUsedIp: row.last_used_ip,
  };
}

export function apiTokenFromRow(row: Selectable<ApiTokensTable>): ApiTokenRecord {
  return {
    id: row.id,
    accountId: row.account_id,
    name: row.name,
    digest: row.digest,
    acls: toNullableList(row.acls),
    whitelistIps: toNullableList(row.whitelist_ips),
    expiresAt: toNullableNumber(row.expires_at),
    createdAt: toNumber(row.created_at),
    lastUsedAt: toNullableNumber(row.last_used_at),
    lastUsedIp: row.last_used_ip,
    origin: row.origin as TokenOrigin,
  };
}

export function ipAccessHashFromRow(row: Selectable<IpAccessHashesTable>): IpAccessHashRecord {
  return {
    id: row.id,
    accountId: row.account_id,
    name: row.name,
    ip: row.ip,
    digest: row.digest,
    prefix: row.prefix,
    createdAt: toNumber(row.created_at),
    expiresAt: toNullableNumber(row.expires_at),
    lastUsedAt: toNullableNumber(row.last_used_at),
    lastUsedIp: row.last_used_ip,
  };
}

export function sessionFromRow(row: Selectable<SessionsTable>): SessionRecord {
  return {
    id: row.id,
    digest: row.digest,
    accountId: row.account_id,
    securityToken: row.security_token,
    createdAt: toNumber(row.created_at),
    expiresAt: toNumber(row.expires_at),
    ip: row.ip,
  };
}

export function auditFromRow(row: Selectable<AuditLogTable>): AuditRecord {
  return {
    id: row.id,
    at: toNumber(row.at),
    actor: row.actor,
    ip: row.ip,
    action: row.action,
    target: row.target,
    outcome: row.outcome === "failure" ? "failure" : "success",
    detail: JSON.parse(row.detail) as AuditRecord["detail"],
  };
}
