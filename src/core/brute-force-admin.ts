import { requireRootLevel, type Actor } from "./actor.js";
import { auditRecord } from "./audit.js";
import type { BlockListing, BruteForceGuard } from "./brute-force.js";
import type { Clock } from "./clock.js";
import { invalidArgument } from "./errors.js";
import type { AuditAppender } from "./storage/record-store.js";

/** Root's view of the brute-force blocks (`keyhold brute-force`, the REST API), with WHM's rules. */
export class BruteForceAdmin {
  constructor(
    private readonly guard: BruteForceGuard,
    private readonly audit: AuditAppender,
    private readonly clock: Clock,
  ) {}

  /** The current blocks and counted failures: root's, as they tell how many guesses are left. */
  async list(actor: Actor): Promise<BlockListing[]> {
    requireRootLevel(actor);
    return this.guard.list(this.clock.now());
  }

  /**
   * cPHulk's flush: forgets the blocks and failures of one address, user or key (all of them when
   * `target` is null), and says so in the audit log. Answers the keys flushed.
   */
  async flush(actor: Actor, target: string | null): Promise<string[]> {
    requireRootLevel(actor);
    if (target !== null && (target.trim() === "" || target.length > 200 || /[\u0000-\u001f\u007f]/.test(target))) {
      throw invalidArgument("Name an IP address, a user name or a key as “keyhold brute-force list” shows it.");
    }
    const now = this.clock.now();
    const flushed = await this.guard.flush(target, now);
    await this.audit.appendAudit(auditRecord(now, actor, "brute-force.flush", target ?? "*", { detail: { flushed: flushed.length } }));
    return flushed;
  }
}
