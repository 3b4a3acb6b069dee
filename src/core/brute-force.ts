import { randomUUID } from "node:crypto";
import { addressInList, counterAddress, parseAddress } from "./ip.js";
import type { Settings } from "./settings.js";

const MINUTE = 60_000;
const ONE_DAY = 24 * 60 * MINUTE;
// A reservation refused because others are still being evaluated may pass once they settle.
const IN_FLIGHT_RETRY_SECONDS = 1;

export type LockoutScope = "ip" | "account" | "caller";
export type Lockout = { readonly scope: LockoutScope; readonly retryAfterSeconds: number };

/**
 * One limit on one key: once the failures within `windowMs`, with the attempts still being
 * evaluated, reach `limit`, no further attempt is evaluated, and the failure that reaches it
 * blocks the key for `blockMs`.
 */
export interface CountRule {
  readonly windowMs: number;
  readonly limit: number;
  readonly blockMs: number;
}

export interface Counter {
  readonly key: string;
  readonly rules: readonly CountRule[];
}

export type ReserveResult = { readonly reserved: true } | { readonly reserved: false; readonly key: string; readonly until: number | null };

export interface AttemptEntry {
  readonly key: string;
  readonly failures: number;
  readonly blockedUntil: number | null;
}

/**
 * Where failure counts live: this process's memory by default; Redis when several instances
 * must share them (so an attacker cannot multiply guesses by the number of instances).
 * Stores that know at once answer without a promise: the hot path then awaits nothing.
 */
export interface AttemptStore {
  /** For each key, in order, the time its block ends, or null. */
  blockedUntil(keys: readonly string[], now: number): ReadonlyArray<number | null> | Promise<ReadonlyArray<number | null>>;
  /**
   * Atomically: refuses when a key is blocked, or when counting one more attempt would pass a
   * rule (failures and attempts in flight together); otherwise records `id` in flight under
   * every key. Two instances reserving at once cannot both take the last place.
   */
  reserve(counters: readonly Counter[], id: string, now: number): ReserveResult | Promise<ReserveResult>;
  /** Drops the attempt `id` in flight: it succeeded, or was refused for a reason that is no guess. */
  release(keys: readonly string[], id: string): void | Promise<void>;
  /** Records a failure (its reservation `id`, if any, becomes it) and applies the blocks the rules call for. */
  fail(counters: readonly Counter[], id: string, now: number): Promise<void>;
  /** Every key with a block in force or failures within the last `windowMs`, with their count. */
  list(now: number, windowMs: number): Promise<AttemptEntry[]>;
  /** Forgets the keys' failures, attempts in flight and blocks. */
  flush(keys: readonly string[]): Promise<void>;
  close(): Promise<void>;
}

/** Whose attempt it is: the client's address, the account a password names, and the verify-API caller reporting it. */
export interface Subject {
  readonly ip: string;
  /** Only for password logins: guessing other secrets needs no account limit. */
  readonly username: string | null;
  /** The account calling the verify API on its client's behalf; null for Keyhold's own ways in. */
  readonly caller: string | null;
}

export interface Reservation {
  readonly id: string;
  readonly counters: readonly Counter[];
}

/** A block or counted failures, as `keyhold brute-force list` and Tweak Settings show them. */
export interface BlockListing {
  readonly key: string;
  readonly kind: "ip" | "account" | "verify";
  readonly failures: number;
  readonly blockedUntil: number | null;
  readonly retryAfterSeconds: number | null;
}

const NO_COUNTERS: readonly Counter[] = [];
const NOTHING_RESERVED: Reservation = { id: "", counters: NO_COUNTERS };

/**
 * cPHulk's rules: too many failures from one address block that address for every scheme,
 * a correct password included; very many block it for a day; too many for one account lock
 * that account's password logins. Trusted addresses are never counted or blocked.
 *
 * A verify-API caller's failures count against that caller and the client address together,
 * and against the caller as a whole: they neither block the address on Keyhold's own ways in
 * (anyone holding verify-credentials could otherwise lock anyone out) nor escape the limits by
 * naming another address each time.
 */
export class BruteForceGuard {
  constructor(
    private readonly attempts: AttemptStore,
    private readonly settings: () => Settings,
    private readonly onBackgroundError: (error: unknown) => void,
  ) {}

  /** Checks the blocks before any credential is looked at. */
  check(subject: Subject, now: number): Lockout | null | Promise<Lockout | null> {
    const settings = this.settings();
    const keys = this.checkedKeys(subject, settings);
    if (keys.length === 0) return null;
    const answer = this.attempts.blockedUntil(keys, now);
    if (answer instanceof Promise) return answer.then((untils) => lockoutOf(keys, untils, now));
    return lockoutOf(keys, answer, now);
  }

  /**
   * Counts an attempt before it is evaluated. The answer is the reservation to settle with
   * `recordFailure` or `release`, or the lockout that refuses the attempt unevaluated.
   */
  reserve(subject: Subject, now: number): Reservation | Lockout | Promise<Reservation | Lockout> {
    const counters = this.counters(subject, this.settings());
    if (counters.length === 0) return NOTHING_RESERVED;
    const id = `${now}:${randomUUID()}`;
    const settle = (result: ReserveResult): Reservation | Lockout => {
      if (result.reserved) return { id, counters };
      const retryAfterSeconds = result.until === null ? IN_FLIGHT_RETRY_SECONDS : secondsUntil(result.until, now);
      return { scope: scopeOf(result.key), retryAfterSeconds };
    };
    const result = this.attempts.reserve(counters, id, now);
    return result instanceof Promise ? result.then(settle) : settle(result);
  }

  /** Ends a reservation that was no failure. Not awaited: the answer need not wait for the store. */
  release(reservation: Reservation): void {
    if (reservation.counters.length === 0) return;
    try {
      const done = this.attempts.release(reservation.counters.map((counter) => counter.key), reservation.id);
      if (done instanceof Promise) done.catch(this.onBackgroundError);
    } catch (error) {
      this.onBackgroundError(error);
    }
  }

  /** Records a failure; with the reservation it was evaluated under, that reservation becomes it. */
  async recordFailure(subject: Subject, now: number, reservation: Reservation | null): Promise<void> {
    if (reservation !== null && reservation.counters.length === 0) return;
    const counters = reservation?.counters ?? this.counters(subject, this.settings());
    if (counters.length === 0) return;
    await this.attempts.fail(counters, reservation?.id ?? `${now}:${randomUUID()}`, now);
  }

  async list(now: number): Promise<BlockListing[]> {
    const entries = await this.attempts.list(now, this.longestWindow());
    return entries
      .map((entry) => ({
        key: entry.key,
        kind: kindOf(entry.key),
        failures: entry.failures,
        blockedUntil: entry.blockedUntil,
        retryAfterSeconds: entry.blockedUntil === null ? null : secondsUntil(entry.blockedUntil, now),
      }))
      .sort((a, b) => (b.blockedUntil ?? 0) - (a.blockedUntil ?? 0) || a.key.localeCompare(b.key));
  }

  /**
   * Forgets blocks and failures: all of them, those of one key as `list` names it, those of an
   * address (its own and any verify-API caller's for it) or those of a user (the account's and,
   * for a verify-API caller, its own). Answers the keys it flushed.
   */
  async flush(target: string | null, now: number): Promise<string[]> {
    const entries = await this.attempts.list(now, this.longestWindow());
    const matches = target === null ? () => true : flushMatcher(target.trim());
    const keys = entries.map((entry) => entry.key).filter(matches);
    if (keys.length > 0) await this.attempts.flush(keys);
    return keys;
  }

  async close(): Promise<void> {
    await this.attempts.close();
  }

  private longestWindow(): number {
    const settings = this.settings();
    return Math.max(settings.ip_brute_force_period_mins, settings.lookback_period_min, settings.brute_force_period_mins) * MINUTE;
  }

  private isTrusted(subject: Subject, settings: Settings): boolean {
    // The verify API's `ip` is its caller's word, not an address Keyhold saw: it earns no trust.
    return subject.caller === null && settings.trusted_ips.length > 0 && addressInList(settings.trusted_ips, subject.ip);
  }

  /** The keys `counters` would count under, built without their rules: this runs on every request. */
  private checkedKeys(subject: Subject, settings: Settings): string[] {
    if (this.isTrusted(subject, settings)) return [];
    const keys: string[] = [];
    if (settings.ip_based_protection === 1) {
      if (subject.caller === null) keys.push(ipKey(subject.ip));
      // A client blocked on Keyhold itself stays blocked when another application asks about it.
      else keys.push(ipKey(subject.ip), `verify:${subject.caller}:${counterAddress(subject.ip)}`, `verify:${subject.caller}`);
    }
    if (subject.username !== null && settings.username_based_protection === 1) keys.push(accountKey(subject.username));
    return keys;
  }

  private counters(subject: Subject, settings: Settings): readonly Counter[] {
    if (this.isTrusted(subject, settings)) return NO_COUNTERS;
    const counters: Counter[] = [];
    if (settings.ip_based_protection === 1) {
      const ipWindow = settings.ip_brute_force_period_mins * MINUTE;
      const addressRules: CountRule[] = [
        { windowMs: ipWindow, limit: settings.max_failures_byip, blockMs: ipWindow },
        { windowMs: settings.lookback_period_min * MINUTE, limit: settings.mark_as_brute, blockMs: ONE_DAY },
      ];
      if (subject.caller === null) counters.push({ key: ipKey(subject.ip), rules: addressRules });
      else {
        counters.push({ key: `verify:${subject.caller}:${counterAddress(subject.ip)}`, rules: addressRules });
        counters.push({ key: `verify:${subject.caller}`, rules: [{ windowMs: ipWindow, limit: settings.verify_max_failures_per_caller, blockMs: ipWindow }] });
      }
    }
    if (subject.username !== null && settings.username_based_protection === 1) {
      const window = settings.brute_force_period_mins * MINUTE;
      counters.push({ key: accountKey(subject.username), rules: [{ windowMs: window, limit: settings.max_failures, blockMs: window }] });
    }
    return counters;
  }
}

/** The first block in force wins; keys come address first, as an address block applies to every scheme. */
function lockoutOf(keys: readonly string[], untils: ReadonlyArray<number | null>, now: number): Lockout | null {
  for (let i = 0; i < keys.length; i++) {
    const until = untils[i];
    if (until !== null && until !== undefined && until > now) return { scope: scopeOf(keys[i]!), retryAfterSeconds: secondsUntil(until, now) };
  }
  return null;
}

function flushMatcher(target: string): (key: string) => boolean {
  if (/^(ip|account|verify):/.test(target)) return (key) => key === target;
  if (parseAddress(target) !== null) {
    const address = counterAddress(target);
    return (key) => key === `ip:${address}` || (key.startsWith("verify:") && key.endsWith(`:${address}`));
  }
  return (key) => key === `account:${target}` || key === `verify:${target}` || key.startsWith(`verify:${target}:`);
}

export function ipKey(ip: string): string {
  return `ip:${counterAddress(ip)}`;
}

function accountKey(username: string): string {
  return `account:${username}`;
}

function kindOf(key: string): BlockListing["kind"] {
  return key.startsWith("ip:") ? "ip" : key.startsWith("account:") ? "account" : "verify";
}

function scopeOf(key: string): LockoutScope {
  const kind = kindOf(key);
  return kind === "verify" ? "caller" : kind;
}

function secondsUntil(until: number, now: number): number {
  return Math.max(1, Math.ceil((until - now) / 1000));
}

export function isLockout(value: Reservation | Lockout): value is Lockout {
  return "scope" in value;
}
