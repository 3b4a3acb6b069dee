import type { AuditFilter, AuditRecord } from "./records.js";

/** The accounting log as its readers see it (the audit service; nothing else reads it back). */
export interface AuditSource {
  listAudit(filter: AuditFilter): Promise<AuditRecord[]>;
}
