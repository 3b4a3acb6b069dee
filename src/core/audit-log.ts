import type { Account } from "./account.js";
import { holdsAllPrivilegesOf, type Actor } from "./actor.js";
import { forbidden } from "./errors.js";
import { actsOnAnyone } from "./tenancy.js";
import type { AuditChainControl, AuditSource } from "./storage/audit-source.js";
import type { AuditFilter, AuditRecord } from "./storage/records.js";
import { verifyAuditChain, type AuditChainHasher, type AuditChainResult } from "./audit-chain.js";

/** Reading the accounting log back; every service writes its own lines as it acts. */
export class AuditLog {
  constructor(
    private readonly source: AuditSource & Pick<AuditChainControl, "pruneAuditBefore">,
    private readonly chain: AuditChainHasher,
  ) {}

  /**
   * Retention (`audit_retention_days`; 0 keeps everything): checks the chain first, since what
   * is pruned can no longer be checked, then removes the entries older than that many days,
   * leaving a signed checkpoint. A broken chain is not pruned: the error says where it breaks.
   */
  async prune(retentionDays: number, now: number): Promise<number> {
    if (retentionDays <= 0) return 0;
    const result = await this.verify();
    if (!result.ok) throw new Error(`Audit retention skipped: the chain does not verify: ${result.message}`);
    return this.source.pruneAuditBefore(now - retentionDays * 86_400_000);
  }

  /** Walks the hash chain from its start (`keyhold audit verify`); `onProgress` gets entries checked of `total`. */
  async verify(onProgress: (done: number, total: number) => void = () => {}): Promise<AuditChainResult> {
    const total = await this.source.countAudit();
    return verifyAuditChain(this.source, this.chain, (done) => onProgress(done, total));
  }

  /** Every entry the filter matches, unchecked: for the operator at the console (`keyhold audit`). */
  list(filter: AuditFilter): Promise<AuditRecord[]> {
    return this.source.listAudit(filter);
  }

  /**
   * Root level (`all`) reads the whole log. Anyone else reads only the entries of its own actions,
   * and only with a credential holding every privilege of its account (its password, a session,
   * a full-access token): those entries tell what every key of the account did, so a key narrowed
   * to a few privileges (`list-accts`, say) does not read them.
   */
  async read(actor: Actor, account: Account, filter: AuditFilter): Promise<AuditRecord[]> {
    if (actsOnAnyone(actor)) return this.source.listAudit(filter);
    if (!holdsAllPrivilegesOf(actor, account)) {
      throw forbidden("Permission denied: reading the audit log needs every privilege of the account (root level for all entries); this credential is narrowed.");
    }
    // Asking for someone else's entries must find none, not quietly answer with one's own.
    if (filter.actor !== undefined && filter.actor !== actor.username) return [];
    return this.source.listAudit({ ...filter, actor: actor.username });
  }
}
