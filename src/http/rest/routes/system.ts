import { Type } from "typebox";
import { SETTINGS, displayValue } from "../../../core/settings.js";
import { KEYHOLD_VERSION } from "../../../version.js";
import { actorOf } from "../../context.js";
import type { RestApp, RestContext } from "../app.js";
import { success } from "../present.js";
import { AuditEntry, AuditQuery, Setting, Success, SystemStatus } from "../schemas.js";
import { errorResponses } from "./common.js";

const PUBLIC_SETTING = "allow_deprecated_accesshash";

export function registerSystemRoutes(app: RestApp, { keyhold, startedAt }: RestContext): void {
  app.get("/system/status", {
    schema: {
      tags: ["System"],
      summary: "Version, uptime and store health (any credential); the store-wide counts only for root level (`all`)",
      response: { 200: Success(SystemStatus), ...errorResponses },
    },
    handler: async (request) => {
      const health = { status: "ok", version: KEYHOLD_VERSION, uptime_seconds: Math.floor((Date.now() - startedAt) / 1000), store: "ok" };
      // The counts are about every tenant: a reseller, or a root token narrowed to a few
      // privileges, has no business knowing how many accounts and keys the others hold.
      if (!actorOf(request).acls.rootLevel) return success(health);
      const counts = await keyhold.counts();
      return success({
        ...health,
        count_accounts: counts.accounts,
        count_resellers: counts.resellers,
        count_tokens: counts.apiTokens,
        count_access_hashes: counts.ipAccessHashes,
        count_remote_access_keys: counts.accessHashes,
      });
    },
  });

  function settingsList() {
    const current = keyhold.settings.get();
    return SETTINGS.map((setting) => ({ key: setting.key, type: setting.type, value: displayValue(current[setting.key]), default: setting.default, label: setting.label, help: setting.help }));
  }

  app.get("/settings", {
    schema: {
      tags: ["Settings"],
      summary: "Tweak Settings and brute-force limits (root); others see only allow_deprecated_accesshash",
      response: { 200: Success(Type.Array(Setting)), ...errorResponses },
    },
    handler: async (request) => {
      const all = settingsList();
      // Everyone may learn whether access hashes work (the Remote Access Key page says so); the
      // brute-force limits are root's: they tell an attacker how many guesses are left.
      return success(actorOf(request).acls.rootLevel ? all : all.filter((setting) => setting.key === PUBLIC_SETTING));
    },
  });

  app.put("/settings/:key", {
    schema: {
      tags: ["Settings"],
      summary: "Change a setting (root)",
      params: Type.Object({ key: Type.String() }),
      body: Type.Object({ value: Type.Union([Type.Integer(), Type.String()]) }),
      response: { 200: Success(Setting), ...errorResponses },
    },
    handler: async (request) => {
      await keyhold.settings.set(actorOf(request), request.params.key, String(request.body.value));
      return success(settingsList().find((setting) => setting.key === request.params.key)!);
    },
  });

  app.get("/audit", {
    schema: {
      tags: ["Audit"],
      summary:
        "The audit log, newest first. Root level (`all`): every entry; anyone else: its own actions, and only with a credential holding every privilege of its account (a narrowed token gets 403)",
      querystring: AuditQuery,
      response: { 200: Success(Type.Array(AuditEntry)), ...errorResponses },
    },
    handler: async (request) => {
      const { limit, ...filter } = request.query;
      const entries = await keyhold.audit.read(actorOf(request), request.identity!.account, { ...filter, limit: limit ?? 100 });
      return success(entries.map((entry) => ({ ...entry, detail: { ...entry.detail } })));
    },
  });
}
