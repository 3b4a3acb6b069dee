import type { Account } from "../../core/account.js";
import { epochSeconds } from "../../core/clock.js";
import type { IpAccessHashView } from "../../core/ip-access-hashes.js";
import type { TokenView } from "../../core/tokens.js";
import type { WhmAccessHashView } from "../../core/whm-access-hashes.js";

// Domain views to the REST API's snake_case JSON; times in Unix seconds.

export function presentIpAccessHash(view: IpAccessHashView) {
  return {
    id: view.id,
    user: view.user,
    name: view.name,
    ip: view.ip,
    prefix: view.prefix,
    created_at: epochSeconds(view.createdAt),
    expires_at: epochSeconds(view.expiresAt),
    expired: view.expired,
    last_used_at: epochSeconds(view.lastUsedAt),
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
    created_at: epochSeconds(account.createdAt),
  };
}

export function presentWhmAccessHash(view: WhmAccessHashView) {
  return {
    user: view.user,
    accesshash: view.accesshash,
    signature: view.signature,
    created_at: epochSeconds(view.createdAt),
    last_used_at: epochSeconds(view.lastUsedAt),
    last_used_ip: view.lastUsedIp,
  };
}

export function presentToken(view: TokenView) {
  return {
    user: view.owner,
    name: view.name,
    created_at: epochSeconds(view.createdAt),
    expires_at: epochSeconds(view.expiresAt),
    expired: view.expired,
    full_access: view.acls === null,
    acls: view.acls === null ? null : [...view.acls],
    effective_acls: view.effectiveAcls.list(),
    whitelist_ips: view.whitelistIps === null ? null : [...view.whitelistIps],
    last_used_at: epochSeconds(view.lastUsedAt),
    last_used_ip: view.lastUsedIp,
    origin: view.origin,
  };
}

export function success<T>(msg: T): { error: ""; msg: T; status: "success" } {
  return { error: "", msg, status: "success" };
}
