import { newId } from "./ids.js";
import type { AuditFilter, AuditRecord, Store } from "../store/store.js";
import type { Actor } from "./actor.js";

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

/** Root level reads the whole log; anyone else only the entries of their own actions. */
export async function readAuditLog(store: Store, actor: Actor, filter: AuditFilter): Promise<AuditRecord[]> {
  if (actor.acls.rootLevel) return store.listAudit(filter);
  // Asking for someone else's entries must find none, not quietly answer with one's own.
  if (filter.actor !== undefined && filter.actor !== actor.username) return [];
  return store.listAudit({ ...filter, actor: actor.username });
}
