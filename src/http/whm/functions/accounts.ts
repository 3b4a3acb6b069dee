import type { Account } from "../../../core/account.js";
import { epochSeconds } from "../../../core/clock.js";
import type { WhmFunction } from "../function.js";

function accountSummary(account: Account): Record<string, unknown> {
  return {
    user: account.username,
    domain: account.domain,
    owner: account.owner,
    suspended: account.suspended ? 1 : 0,
    reseller: account.role === "reseller" ? 1 : 0,
    unix_startdate: epochSeconds(account.createdAt),
    startdate: new Date(account.createdAt).toISOString(),
  };
}

export const createacct: WhmFunction = {
  name: "createacct",
  async run({ params, actor, keyhold }) {
    const account = await keyhold.accounts.create(actor, {
      username: params.require("username"),
      password: params.get("password") ?? params.get("pass") ?? null,
      domain: params.get("domain") ?? null,
      reseller: params.flag("reseller"),
      ...(params.has("owner") ? { owner: params.require("owner") } : {}),
    });
    return { data: accountSummary(account), reason: "Account Creation Ok" };
  },
};

export const removeacct: WhmFunction = {
  name: "removeacct",
  async run({ params, actor, keyhold }) {
    const username = params.get("user") ?? params.require("username");
    await keyhold.accounts.remove(actor, username);
    return { data: null, reason: `${username} account removed` };
  },
};

export const listaccts: WhmFunction = {
  name: "listaccts",
  async run({ params, actor, keyhold }) {
    const search = params.get("search") ?? "";
    const searchType = params.get("searchtype") ?? "user";
    const accounts = (await keyhold.accounts.list(actor)).filter((account) => {
      if (search === "") return true;
      const field = searchType === "domain" ? account.domain : searchType === "owner" ? account.owner : account.username;
      return (field ?? "").includes(search);
    });
    return { data: { acct: accounts.map(accountSummary) } };
  },
};

export const setupreseller: WhmFunction = {
  name: "setupreseller",
  async run({ params, actor, keyhold }) {
    const account = await keyhold.accounts.setupReseller(actor, params.require("user"), { makeOwner: params.flag("makeowner") });
    return { data: null, reason: `${account.username} is now a reseller.` };
  },
};

export const unsetupreseller: WhmFunction = {
  name: "unsetupreseller",
  async run({ params, actor, keyhold }) {
    const account = await keyhold.accounts.unsetupReseller(actor, params.require("user"));
    return { data: null, reason: `${account.username} is no longer a reseller.` };
  },
};

export const listresellers: WhmFunction = {
  name: "listresellers",
  async run({ actor, keyhold }) {
    const resellers = await keyhold.accounts.listResellers(actor);
    return { data: { reseller: resellers.map((account) => account.username) } };
  },
};

/** WHM's form: `reseller=bob&acl-create-acct=1&acl-list-accts=1`; names not sent are removed. */
export const setacls: WhmFunction = {
  name: "setacls",
  async run({ params, actor, keyhold }) {
    const account = await keyhold.accounts.setAcls(actor, params.require("reseller"), params.flaggedSuffixes("acl-"));
    return { data: { acls: account.acls }, reason: `Privileges for ${account.username} saved.` };
  },
};

export const suspendacct: WhmFunction = {
  name: "suspendacct",
  async run({ params, actor, keyhold }) {
    const account = await keyhold.accounts.setSuspended(actor, params.require("user"), true);
    return { data: null, reason: `${account.username} account suspended` };
  },
};

export const unsuspendacct: WhmFunction = {
  name: "unsuspendacct",
  async run({ params, actor, keyhold }) {
    const account = await keyhold.accounts.setSuspended(actor, params.require("user"), false);
    return { data: null, reason: `${account.username} account unsuspended` };
  },
};

export const passwd: WhmFunction = {
  name: "passwd",
  async run({ params, actor, keyhold }) {
    const username = params.require("user");
    await keyhold.accounts.setPassword(actor, username, params.get("password") ?? params.require("pass"));
    return { data: null, reason: `Password for ${username} changed.` };
  },
};
