import type { Settings } from "./settings.js";

const MINUTE = 60_000;
const ONE_DAY = 24 * 60 * MINUTE;

export type Lockout = { readonly scope: "ip" | "account"; readonly retryAfterSeconds: number };

/**
 * Where failure counts live: this process's memory by default; Redis when several instances
 * must share them (so an attacker cannot multiply guesses by the number of instances).
 */
export interface AttemptStore {
  /** Adds a failure at `now` and returns the failures within each window, newest last. */
  addFailure(key: string, now: number, windowsMs: readonly number[]): Promise<number[]>;
  block(key: string, until: number, now: number): Promise<void>;
  /** Asked before every verification: a store that knows at once answers without a promise. */
  blockedUntil(key: string, now: number): number | null | Promise<number | null>;
  close(): Promise<void>;
}

/**
 * cPHulk's rules: too many failures from one address block that address for every scheme,
 * a correct password included; very many block it for a day; too many for one account lock
 * that account's password logins.
 */
export class BruteForceGuard {
  constructor(
    private readonly attempts: AttemptStore,
    private readonly settings: () => Settings,
  ) {}

  /** Checks before any credential is looked at; `username` only for password logins. */
  check(ip: string, username: string | null, now: number): Lockout | null | Promise<Lockout | null> {
    const settings = this.settings();
    const ipBlock = settings.ip_based_protection === 1 ? this.attempts.blockedUntil(ipKey(ip), now) : null;
    const accountBlock = username !== null && settings.username_based_protection === 1 ? this.attempts.blockedUntil(accountKey(username), now) : null;
    if (ipBlock instanceof Promise || accountBlock instanceof Promise) {
      return Promise.all([ipBlock, accountBlock]).then(([ipUntil, accountUntil]) => lockoutOf(ipUntil, accountUntil, now));
    }
    return lockoutOf(ipBlock, accountBlock, now);
  }

  async recordFailure(ip: string, username: string | null, now: number): Promise<void> {
    const settings = this.settings();
    if (settings.ip_based_protection === 1) {
      const ipWindow = settings.ip_brute_force_period_mins * MINUTE;
      const lookback = settings.lookback_period_min * MINUTE;
      const [recent = 0, longTerm = 0] = await this.attempts.addFailure(ipKey(ip), now, [ipWindow, lookback]);
      if (longTerm >= settings.mark_as_brute) await this.attempts.block(ipKey(ip), now + ONE_DAY, now);
      else if (recent >= settings.max_failures_byip) await this.attempts.block(ipKey(ip), now + ipWindow, now);
    }
    if (username !== null && settings.username_based_protection === 1) {
      const window = settings.brute_force_period_mins * MINUTE;
      const [recent = 0] = await this.attempts.addFailure(accountKey(username), now, [window]);
      if (recent >= settings.max_failures) await this.attempts.block(accountKey(username), now + window, now);
    }
  }

  async close(): Promise<void> {
    await this.attempts.close();
  }
}

/** An address block wins over an account lock: it applies to every scheme. */
function lockoutOf(ipUntil: number | null, accountUntil: number | null, now: number): Lockout | null {
  if (ipUntil !== null) return { scope: "ip", retryAfterSeconds: secondsUntil(ipUntil, now) };
  if (accountUntil !== null) return { scope: "account", retryAfterSeconds: secondsUntil(accountUntil, now) };
  return null;
}

function ipKey(ip: string): string {
  return `ip:${ip}`;
}

function accountKey(username: string): string {
  return `account:${username}`;
}

function secondsUntil(until: number, now: number): number {
  return Math.max(1, Math.ceil((until - now) / 1000));
}

// Bounds memory when an attacker cycles through addresses or usernames.
const MAX_TRACKED_KEYS = 100_000;
const MAX_KEPT_FAILURES = 1_000;

/** Failure counts in this process's memory: sliding windows over kept timestamps. */
export class MemoryAttemptStore implements AttemptStore {
  private readonly failures = new Map<string, number[]>();
  private readonly blocks = new Map<string, number>();

  async addFailure(key: string, now: number, windowsMs: readonly number[]): Promise<number[]> {
    const longest = Math.max(...windowsMs);
    const kept = (this.failures.get(key) ?? []).filter((at) => at > now - longest);
    kept.push(now);
    if (kept.length > MAX_KEPT_FAILURES) kept.splice(0, kept.length - MAX_KEPT_FAILURES);
    this.failures.delete(key);
    this.failures.set(key, kept);
    evictOldest(this.failures);
    return windowsMs.map((window) => kept.filter((at) => at > now - window).length);
  }

  async block(key: string, until: number, _now: number): Promise<void> {
    this.blocks.set(key, Math.max(until, this.blocks.get(key) ?? 0));
    evictOldest(this.blocks);
  }

  blockedUntil(key: string, now: number): number | null {
    const until = this.blocks.get(key);
    if (until === undefined) return null;
    if (until <= now) {
      this.blocks.delete(key);
      return null;
    }
    return until;
  }

  async close(): Promise<void> {
    this.failures.clear();
    this.blocks.clear();
  }
}

function evictOldest(map: Map<string, unknown>): void {
  while (map.size > MAX_TRACKED_KEYS) {
    const oldest = map.keys().next().value as string;
    map.delete(oldest);
  }
}
