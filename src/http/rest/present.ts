import type { AccessHashView } from "../../core/access-hashes.js";
import type { Account } from "../../core/account.js";
import type { IpAccessHashView } from "../../core/ip-access-hashes.js";
import type { TokenView } from "../../core/tokens.js";

// Domain views to the REST API's snake_case JSON; times in Unix seconds.

function seconds(ms: number): number;
function seconds(ms: number | null): number | null;
function seconds(ms: number | null): number | null {
  return ms === null ? null : Math.floor(ms / 1000);
}

export function presentAccessHash(view: IpAccessHashView) {
  return {
    id: view.id,
    user: view.user,
    name: view.name,
    ip: view.ip,
    prefix: view.prefix,
    created_at: seconds(view.createdAt),
    expires_at: seconds(view.expiresAt),
    expired: view.expired,
    last_used_at: seconds(view.lastUsedAt),
    last_used_ip: view.lastUsedIp,
  };
}

export function presentAccount(account: Account) {
  return {
    user: account.username,
    role: account.role,
    owner: account.owner,
    domain: account.domain,
    acls: [...account.acls],
    suspended: account.suspended,
    has_password: account.hasPassword,
    created_at: seconds(account.createdAt),
  };
}

export function presentRemoteAccessKey(view: AccessHashView) {
  return {
    user: view.user,
    accesshash: view.accesshash,
    signature: view.signature,
    created_at: seconds(view.createdAt),
    last_used_at: seconds(view.lastUsedAt),
    last_used_ip: view.lastUsedIp,
  };
}

export function presentToken(view: TokenView) {
  return {
    user: view.owner,
    name: view.name,
    created_at: seconds(view.createdAt),
    expires_at: seconds(view.expiresAt),
    expired: view.expired,
    full_access: view.acls === null,
    acls: view.acls === null ? null : [...view.acls],
    effective_acls: view.effectiveAcls.list(),
    whitelist_ips: view.whitelistIps === null ? null : [...view.whitelistIps],
    last_used_at: seconds(view.lastUsedAt),
    last_used_ip: view.lastUsedIp,
    origin: view.origin,
  };
}

export function success<T>(msg: T): { error: ""; msg: T; status: "success" } {
  return { error: "", msg, status: "success" };
}
