import { newId } from "./ids.js";
import type { Actor } from "./actor.js";
import type { AuditRecord } from "./storage/records.js";

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
