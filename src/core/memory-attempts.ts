import type { AttemptEntry, AttemptStore, Counter, ReserveResult } from "./brute-force.js";

// Bounds memory when an attacker cycles through addresses or usernames.
const MAX_TRACKED_KEYS = 100_000;
const MAX_KEPT_FAILURES = 1_000;
// A reservation is settled within one request; one older than this was lost to a bug, and must
// not hold its place for ever.
const PENDING_TTL_MS = 60_000;
const RESERVED: ReserveResult = { reserved: true };

interface Tracked {
  failures: number[];
  readonly pending: Map<string, number>;
}

/**
 * Failure counts in this process's memory: sliding windows over kept timestamps. Every method
 * runs to its end without yielding, so a reservation is atomic with the check before it.
 */
export class MemoryAttemptStore implements AttemptStore {
  private readonly tracked = new Map<string, Tracked>();
  private readonly blocks = new Map<string, number>();

  blockedUntil(keys: readonly string[], now: number): Array<number | null> {
    return keys.map((key) => this.blockOf(key, now));
  }

  reserve(counters: readonly Counter[], id: string, now: number): ReserveResult {
    for (const { key, rules } of counters) {
      const until = this.blockOf(key, now);
      if (until !== null) return { reserved: false, key, until };
      const tracked = this.tracked.get(key);
      if (tracked === undefined) continue;
      for (const [pendingId, at] of tracked.pending) if (at <= now - PENDING_TTL_MS) tracked.pending.delete(pendingId);
      for (const rule of rules) {
        if (countSince(tracked.failures, now - rule.windowMs) + tracked.pending.size >= rule.limit) return { reserved: false, key, until: null };
      }
    }
    for (const { key } of counters) this.touch(key).pending.set(id, now);
    return RESERVED;
  }

  release(keys: readonly string[], id: string): void {
    for (const key of keys) this.tracked.get(key)?.pending.delete(id);
  }

  async fail(counters: readonly Counter[], id: string, now: number): Promise<void> {
    for (const { key, rules } of counters) {
      const tracked = this.touch(key);
      tracked.pending.delete(id);
      const longest = Math.max(...rules.map((rule) => rule.windowMs));
      const kept = tracked.failures.filter((at) => at > now - longest);
      kept.push(now);
      if (kept.length > MAX_KEPT_FAILURES) kept.splice(0, kept.length - MAX_KEPT_FAILURES);
      tracked.failures = kept;
      for (const rule of rules) {
        if (countSince(kept, now - rule.windowMs) >= rule.limit) this.block(key, now + rule.blockMs);
      }
    }
  }

  async list(now: number, windowMs: number): Promise<AttemptEntry[]> {
    const keys = new Set([...this.tracked.keys(), ...this.blocks.keys()]);
    const entries: AttemptEntry[] = [];
    for (const key of keys) {
      const blockedUntil = this.blockOf(key, now);
      const failures = countSince(this.tracked.get(key)?.failures ?? [], now - windowMs);
      if (blockedUntil !== null || failures > 0) entries.push({ key, failures, blockedUntil });
    }
    return entries;
  }

  async flush(keys: readonly string[]): Promise<void> {
    for (const key of keys) {
      this.tracked.delete(key);
      this.blocks.delete(key);
    }
  }

  async close(): Promise<void> {
    this.tracked.clear();
    this.blocks.clear();
  }

  private blockOf(key: string, now: number): number | null {
    const until = this.blocks.get(key);
    if (until === undefined) return null;
    if (until <= now) {
      this.blocks.delete(key);
      return null;
    }
    return until;
  }

  private block(key: string, until: number): void {
    this.blocks.set(key, Math.max(until, this.blocks.get(key) ?? 0));
    evictOldest(this.blocks);
  }

  /** The key's entry, moved to the newest end so eviction drops the longest-untouched first. */
  private touch(key: string): Tracked {
    const tracked = this.tracked.get(key) ?? { failures: [], pending: new Map<string, number>() };
    this.tracked.delete(key);
    this.tracked.set(key, tracked);
    evictOldest(this.tracked);
    return tracked;
  }
}

function countSince(failures: readonly number[], after: number): number {
  let count = 0;
  for (const at of failures) if (at > after) count++;
  return count;
}

function evictOldest(map: Map<string, unknown>): void {
  while (map.size > MAX_TRACKED_KEYS) {
    const oldest = map.keys().next().value as string;
    map.delete(oldest);
  }
}
