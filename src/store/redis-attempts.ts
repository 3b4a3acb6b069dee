import { Redis } from "ioredis";
import type { AttemptEntry, AttemptStore, Counter, ReserveResult } from "../core/brute-force.js";

const DEFAULT_PREFIX = "keyhold:bruteforce:";
// An instance that dies mid-request leaves its reservation behind; after this it stops counting.
const PENDING_TTL_MS = 60_000;

// Each counter's keys come in threes (failures, pending, block); its rules follow in ARGV as a
// count and then (window, limit) pairs. Checks every counter before reserving under any, in one
// script, so no other instance's reservation can slip between the check and the reservation.
const RESERVE = `
local now = tonumber(ARGV[1])
local ttl = tonumber(ARGV[3])
local a = 4
for c = 0, #KEYS / 3 - 1 do
  local failures, pending, block = KEYS[c * 3 + 1], KEYS[c * 3 + 2], KEYS[c * 3 + 3]
  local blocked = tonumber(redis.call('GET', block) or '0')
  if blocked > now then return {1, c, blocked} end
  redis.call('ZREMRANGEBYSCORE', pending, '-inf', now - ttl)
  local inflight = redis.call('ZCARD', pending)
  local rules = tonumber(ARGV[a])
  a = a + 1
  for r = 1, rules do
    local failed = redis.call('ZCOUNT', failures, '(' .. (now - tonumber(ARGV[a])), '+inf')
    if failed + inflight >= tonumber(ARGV[a + 1]) then return {2, c, 0} end
    a = a + 2
  end
end
for c = 0, #KEYS / 3 - 1 do
  redis.call('ZADD', KEYS[c * 3 + 2], now, ARGV[2])
  redis.call('PEXPIRE', KEYS[c * 3 + 2], ttl)
end
return {0}
`;

// Turns the reservation into a failure, trims what is older than the longest window, and blocks
// for each rule reached (extending a block, never shortening it). ARGV per counter: the rule
// count, then (window, limit, block) triples.
const FAIL = `
local now = tonumber(ARGV[1])
local a = 3
for c = 0, #KEYS / 3 - 1 do
  local failures, pending, block = KEYS[c * 3 + 1], KEYS[c * 3 + 2], KEYS[c * 3 + 3]
  redis.call('ZREM', pending, ARGV[2])
  redis.call('ZADD', failures, now, ARGV[2])
  local rules = tonumber(ARGV[a])
  a = a + 1
  local longest = 1
  local untilMs = 0
  for r = 1, rules do
    local window = tonumber(ARGV[a])
    if window > longest then longest = window end
    local failed = redis.call('ZCOUNT', failures, '(' .. (now - window), '+inf')
    if failed >= tonumber(ARGV[a + 1]) and now + tonumber(ARGV[a + 2]) > untilMs then untilMs = now + tonumber(ARGV[a + 2]) end
    a = a + 3
  end
  redis.call('ZREMRANGEBYSCORE', failures, '-inf', now - longest)
  redis.call('PEXPIRE', failures, longest)
  if untilMs > tonumber(redis.call('GET', block) or '0') then
    redis.call('SET', block, untilMs, 'PX', untilMs - now)
  end
end
return 1
`;

/**
 * Brute-force counters shared by every instance through Redis, so an attacker cannot multiply
 * their guesses by the number of instances behind the load balancer. Keys are
 * `<prefix>failures:<key>` (a sorted set of failure times), `<prefix>pending:<key>` (attempts in
 * flight) and `<prefix>block:<key>` (when the block ends), each expiring by itself.
 */
export class RedisAttemptStore implements AttemptStore {
  private readonly redis: Redis;
  private readonly prefix: string;

  /** `redis://host:port/db`; `?prefix=name:` keeps deployments sharing one Redis apart. */
  constructor(url: string) {
    const parsed = new URL(url);
    this.prefix = parsed.searchParams.get("prefix") ?? DEFAULT_PREFIX;
    parsed.searchParams.delete("prefix");
    this.redis = new Redis(parsed.toString(), { maxRetriesPerRequest: 2 });
    // Connection trouble surfaces on the commands that need Redis; the event alone must not crash.
    this.redis.on("error", () => {});
  }

  async blockedUntil(keys: readonly string[], now: number): Promise<Array<number | null>> {
    const values = await this.redis.mget(...keys.map((key) => this.blockKey(key)));
    return values.map((value) => {
      if (value === null) return null;
      const until = Number(value);
      return until > now ? until : null;
    });
  }

  async reserve(counters: readonly Counter[], id: string, now: number): Promise<ReserveResult> {
    const args: Array<string | number> = [now, id, PENDING_TTL_MS];
    for (const { rules } of counters) {
      args.push(rules.length);
      for (const rule of rules) args.push(rule.windowMs, rule.limit);
    }
    const [status, index, until] = (await this.redis.eval(RESERVE, counters.length * 3, ...this.keysOf(counters), ...args)) as number[];
    if (status === 0) return { reserved: true };
    return { reserved: false, key: counters[Number(index)]!.key, until: status === 1 ? Number(until) : null };
  }

  async release(keys: readonly string[], id: string): Promise<void> {
    const pipeline = this.redis.pipeline();
    for (const key of keys) pipeline.zrem(`${this.prefix}pending:${key}`, id);
    await pipeline.exec();
  }

  async fail(counters: readonly Counter[], id: string, now: number): Promise<void> {
    const args: Array<string | number> = [now, id];
    for (const { rules } of counters) {
      args.push(rules.length);
      for (const rule of rules) args.push(rule.windowMs, rule.limit, rule.blockMs);
    }
    await this.redis.eval(FAIL, counters.length * 3, ...this.keysOf(counters), ...args);
  }

  async list(now: number, windowMs: number): Promise<AttemptEntry[]> {
    const keys = new Set<string>();
    for (const kind of ["block:", "failures:"]) {
      for (const stored of await this.scan(`${this.prefix}${kind}`)) keys.add(stored.slice(this.prefix.length + kind.length));
    }
    const entries: AttemptEntry[] = [];
    const ordered = [...keys];
    const blocks = ordered.length === 0 ? [] : await this.blockedUntil(ordered, now);
    const pipeline = this.redis.pipeline();
    for (const key of ordered) pipeline.zcount(`${this.prefix}failures:${key}`, `(${now - windowMs}`, "+inf");
    const counts = ordered.length === 0 ? [] : ((await pipeline.exec()) ?? []);
    ordered.forEach((key, i) => {
      const failures = Number(counts[i]?.[1] ?? 0);
      const blockedUntil = blocks[i] ?? null;
      if (blockedUntil !== null || failures > 0) entries.push({ key, failures, blockedUntil });
    });
    return entries;
  }

  async flush(keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    await this.redis.del(...keys.flatMap((key) => [`${this.prefix}failures:${key}`, `${this.prefix}pending:${key}`, this.blockKey(key)]));
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }

  private keysOf(counters: readonly Counter[]): string[] {
    return counters.flatMap(({ key }) => [`${this.prefix}failures:${key}`, `${this.prefix}pending:${key}`, this.blockKey(key)]);
  }

  private blockKey(key: string): string {
    return `${this.prefix}block:${key}`;
  }

  private async scan(start: string): Promise<string[]> {
    const pattern = `${start.replace(/[*?[\]\\]/g, "\\$&")}*`;
    const found: string[] = [];
    let cursor = "0";
    do {
      const [next, batch] = await this.redis.scan(cursor, "MATCH", pattern, "COUNT", 1000);
      cursor = next;
      found.push(...batch);
    } while (cursor !== "0");
    return found;
  }
}
