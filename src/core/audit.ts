import { newId } from "./ids.js";
import type { AuditFilter, AuditRecord, Store } from "../store/store.js";
import type { Account } from "./account.js";
import { holdsAllPrivilegesOf, type Actor } from "./actor.js";
import { forbidden } from "./errors.js";

export type AuditDetail = AuditRecord["detail"];

export interface AuditOptions {
  detail?: AuditDetail;
  outcome?: AuditRecord["outcome"];
}

/**
 * One accounting-log line. There is deliberately no field for a secret, and `detail` takes only
 * scalars, so a token cannot ride along inside an object.
 */
export function auditRecord(at: number, actor: Pick<Actor, "username" | "ip">, action: string, target: string, options: AuditOptions = {}): AuditRecord {
  return {
    id: newId("aud", at),
    at,
    actor: actor.username,
    ip: actor.ip,
    action,
    target,
    outcome: options.outcome ?? "success",
    detail: options.detail ?? {},
  };
}

/**
 * Root level (`all`) reads the whole log. Anyone else reads only the entries of its own actions,
 * and only with a credential holding every privilege of its account (its password, a session,
 * a full-access token): those entries tell what every key of the account did, so a key narrowed
 * to a few privileges (`list-accts`, say) does not read them.
 */
export async function readAuditLog(store: Store, actor: Actor, account: Account, filter: AuditFilter): Promise<AuditRecord[]> {
  if (actor.acls.rootLevel) return store.listAudit(filter);
  if (!holdsAllPrivilegesOf(actor, account)) {
    throw forbidden("Permission denied: reading the audit log needs every privilege of the account (root level for all entries); this credential is narrowed.");
  }
  // Asking for someone else's entries must find none, not quietly answer with one's own.
  if (filter.actor !== undefined && filter.actor !== actor.username) return [];
  return store.listAudit({ ...filter, actor: actor.username });
}
