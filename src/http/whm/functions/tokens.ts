import { epochSeconds } from "../../../core/clock.js";
import type { TokenView } from "../../../core/tokens.js";
import type { WhmFunction } from "../function.js";

// WHM's token functions always act on the caller's own tokens (reference §3.4).

/** The stored record as WHM returns it: `acls` and `whitelist_ips` only when set. */
function tokenRecord(view: TokenView): Record<string, unknown> {
  return {
    name: view.name,
    create_time: epochSeconds(view.createdAt),
    expires_at: epochSeconds(view.expiresAt),
    ...(view.acls === null ? {} : { acls: [...view.acls] }),
    ...(view.whitelistIps === null ? {} : { whitelist_ips: [...view.whitelistIps] }),
  };
}

export const apiTokenCreate: WhmFunction = {
  name: "api_token_create",
  returnsSecret: true,
  failurePrefix: "The system failed to create the API token: ",
  failureData: {},
  async run({ params, actor, keyhold }) {
    const created = await keyhold.tokens.create(actor, actor.username, {
      name: params.require("token_name"),
      acls: params.list("acl") ?? [],
      expiresAt: params.get("expires_at") ?? "",
      whitelistIps: params.list("whitelist_ip") ?? [],
    });
    return { data: { ...tokenRecord(created), token: created.token } };
  },
};

export const apiTokenList: WhmFunction = {
  name: "api_token_list",
  failurePrefix: "The system failed to read the API tokens: ",
  failureData: {},
  async run({ actor, keyhold }) {
    const ownerAcls = actor.acls;
    const tokens: Record<string, unknown> = {};
    for (const view of await keyhold.tokens.list(actor, actor.username)) {
      // Effective privileges as a map; for owners below root, ACLs they lack are left out.
      const acls: Record<string, 0 | 1> = {};
      for (const [name, held] of Object.entries(view.effectiveAcls.toFlagMap())) {
        if (ownerAcls.rootLevel || ownerAcls.has(name)) acls[name] = held;
      }
      tokens[view.name] = {
        name: view.name,
        create_time: epochSeconds(view.createdAt),
        expires_at: epochSeconds(view.expiresAt),
        whitelist_ips: view.whitelistIps === null ? null : [...view.whitelistIps],
        acls,
        has_full_access: view.acls === null ? 1 : 0,
        last_used_at: epochSeconds(view.lastUsedAt),
        last_used_ip: view.lastUsedIp,
      };
    }
    return { data: { tokens } };
  },
};

export const apiTokenGetDetails: WhmFunction = {
  name: "api_token_get_details",
  async run({ params, actor, keyhold }) {
    const view = await keyhold.tokens.details(actor, actor.username, params.require("token"));
    return { data: view === null ? null : { ...tokenRecord(view), last_used_at: epochSeconds(view.lastUsedAt), last_used_ip: view.lastUsedIp } };
  },
};

export const apiTokenUpdate: WhmFunction = {
  name: "api_token_update",
  failurePrefix: "The system failed to update the API token: ",
  failureData: {},
  async run({ params, actor, keyhold }) {
    const acls = params.list("acl");
    const whitelistIps = params.list("whitelist_ip");
    const view = await keyhold.tokens.update(actor, actor.username, params.require("token_name"), {
      ...(params.has("new_name") ? { newName: params.get("new_name") ?? "" } : {}),
      ...(acls === undefined ? {} : { acls }),
      ...(params.has("expires_at") ? { expiresAt: params.get("expires_at") ?? "" } : {}),
      ...(whitelistIps === undefined ? {} : { whitelistIps }),
    });
    return { data: tokenRecord(view) };
  },
};

export const apiTokenRevoke: WhmFunction = {
  name: "api_token_revoke",
  failurePrefix: "The system failed to revoke the API token: ",
  failureData: {},
  async run({ params, actor, keyhold }) {
    await keyhold.tokens.revoke(actor, actor.username, params.list("token_name") ?? []);
    return { data: {} };
  },
};
