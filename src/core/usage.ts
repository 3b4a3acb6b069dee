import { auditRecord } from "./audit.js";
import type { AuditAppender, Transactional, UsageRecords } from "./storage/record-store.js";
import type { UsageTrackedKind } from "./credentials/kind.js";
import type { UsageUpdate } from "./storage/records.js";
import { noMetrics, type KeyholdMetrics } from "./metrics.js";

type PendingUse = { -readonly [K in keyof UsageUpdate]: UsageUpdate[K] };

export interface LastUse {
  readonly lastUsedAt: number | null;
  readonly lastUsedIp: string | null;
}

/** Successful logins of one credential from one address since the last flush. */
interface PendingLogin {
  readonly username: string;
  readonly kind: string;
  readonly name: string | null;
  readonly ip: string;
  readonly first: number;
  last: number;
  count: number;
}

/**
 * Records when each credential was last used without a database write per request: uses are
 * coalesced in memory (the newest per credential wins) and written in one batch every few
 * seconds, and on shutdown. Listings overlay the pending uses, so they are never stale.
 */
export class UsageRecorder {
  // Keyed by credential id: ids carry their kind's prefix, so they never collide across kinds.
  private pending = new Map<string, PendingUse>();
  /** Credential id (or `password:<username>`) → address → logins: audited once per flush, not per request. */
  private logins = new Map<string, Map<string, PendingLogin>>();
  private readonly timer: NodeJS.Timeout;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: Transactional<UsageRecords & AuditAppender>,
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
   * A successful login (ASVS 16.3.1), coalesced: the flush writes one `login.success` entry per
   * credential and address with how many logins it stands for and when the first and last were.
   * The hot path does two map lookups and no write.
   */
  recordLogin(username: string, kind: string, id: string | null, name: string | null, at: number, ip: string): void {
    const key = id ?? `password:${username}`;
    let byIp = this.logins.get(key);
    if (byIp === undefined) {
      byIp = new Map();
      this.logins.set(key, byIp);
    }
    const login = byIp.get(ip);
    if (login === undefined) byIp.set(ip, { username, kind, name, ip, first: at, last: at, count: 1 });
    else {
      if (at > login.last) login.last = at;
      login.count += 1;
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
      if (this.pending.size === 0 && this.logins.size === 0) return;
      const batch = [...this.pending.values()];
      this.pending = new Map();
      const logins = [...this.logins.values()].flatMap((byIp) => [...byIp.values()]);
      this.logins = new Map();
      try {
        await this.store.transaction(async (tx) => {
          if (batch.length > 0) await tx.recordUsage(batch);
          for (const login of logins) {
            const detail: Record<string, string | number> = { credential: login.kind, count: login.count, first: new Date(login.first).toISOString(), last: new Date(login.last).toISOString() };
            if (login.name !== null) detail.name = login.name;
            await tx.appendAudit(auditRecord(login.last, { username: login.username, ip: login.ip }, "login.success", login.username, { detail }));
          }
        });
        if (batch.length > 0) this.metrics.usageBatchWritten(batch.length);
      } catch (error) {
        this.metrics.storeError();
        // Keep the uses for the next attempt unless newer ones arrived meanwhile.
        for (const update of batch) if (!this.pending.has(update.id)) this.pending.set(update.id, update);
        // Logins are put back as they were; newer ones of the same credential and address stay separate entries.
        for (const login of logins) {
          const key = `retry:${login.kind}:${login.name ?? login.username}:${login.first}`;
          const byIp = this.logins.get(key) ?? new Map<string, PendingLogin>();
          byIp.set(login.ip, login);
          this.logins.set(key, byIp);
        }
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
