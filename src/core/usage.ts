import type { Transactional, UsageRecords } from "./storage/record-store.js";
import type { UsageTrackedKind } from "./credentials/kind.js";
import type { UsageUpdate } from "./storage/records.js";
import { noMetrics, type KeyholdMetrics } from "./metrics.js";

type PendingUse = { -readonly [K in keyof UsageUpdate]: UsageUpdate[K] };

export interface LastUse {
  readonly lastUsedAt: number | null;
  readonly lastUsedIp: string | null;
}

/**
 * Records when each credential was last used without a database write per request: uses are
 * coalesced in memory (the newest per credential wins) and written in one batch every few
 * seconds, and on shutdown. Listings overlay the pending uses, so they are never stale.
 */
export class UsageRecorder {
  // Keyed by credential id: ids carry their kind's prefix, so they never collide across kinds.
  private pending = new Map<string, PendingUse>();
  private readonly timer: NodeJS.Timeout;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: Transactional<UsageRecords>,
    private readonly onError: (error: unknown) => void,
    flushIntervalMs = 5_000,
    private readonly metrics: KeyholdMetrics = noMetrics,
  ) {
    this.timer = setInterval(() => void this.flush(), flushIntervalMs);
    this.timer.unref();
  }

  /** Called on every authenticated request: one map lookup, no allocation once a credential is pending. */
  record(kind: UsageTrackedKind, id: string, at: number, ip: string): void {
    const pending = this.pending.get(id);
    if (pending === undefined) this.pending.set(id, { kind, id, at, ip });
    else {
      pending.at = at;
      pending.ip = ip;
    }
  }

  /**
   * The credential's last use: a pending one wins if it is newer than what the store holds
   * (another instance may have written a later one) and not older than the credential (an
   * access hash is keyed by its account, and one regenerated since is not the one used).
   */
  lastUse(id: string, stored: LastUse & { readonly createdAt: number }): LastUse {
    const pending = this.pending.get(id);
    const update = pending !== undefined && pending.at >= stored.createdAt && pending.at > (stored.lastUsedAt ?? -Infinity) ? pending : undefined;
    // Copied field by field: `stored` is often a whole record, whose digests must not ride along.
    return update === undefined ? { lastUsedAt: stored.lastUsedAt, lastUsedIp: stored.lastUsedIp } : { lastUsedAt: update.at, lastUsedIp: update.ip };
  }

  /** Writes what is pending; concurrent calls queue behind each other rather than interleave. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(async () => {
      if (this.pending.size === 0) return;
      const batch = [...this.pending.values()];
      this.pending = new Map();
      try {
        await this.store.transaction((tx) => tx.recordUsage(batch));
        this.metrics.usageBatchWritten(batch.length);
      } catch (error) {
        this.metrics.storeError();
        // Keep the uses for the next attempt unless newer ones arrived meanwhile.
        for (const update of batch) if (!this.pending.has(update.id)) this.pending.set(update.id, update);
        this.onError(error);
      }
    });
    return this.flushing;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }
}
