import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import type { AttemptStore } from "../core/brute-force.js";

const DEFAULT_PREFIX = "keyhold:bruteforce:";

// Adds a failure to a sorted set of timestamps, trims what is older than the longest window, and
// counts each window, atomically: two instances recording at once cannot both miss the limit.
const ADD_FAILURE = `
local key = KEYS[1]
local now = tonumber(ARGV[1])
local longest = tonumber(ARGV[2])
redis.call('ZADD', key, now, ARGV[3])
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - longest)
redis.call('PEXPIRE', key, longest)
local counts = {}
for i = 4, #ARGV do
  counts[#counts + 1] = redis.call('ZCOUNT', key, '(' .. (now - tonumber(ARGV[i])), '+inf')
end
return counts
`;

// Extends a block, never shortens it.
const BLOCK = `
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
local untilMs = tonumber(ARGV[1])
if untilMs > current then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', math.max(1, untilMs - tonumber(ARGV[2])))
end
return 1
`;

/**
 * Brute-force counters shared by every instance through Redis, so an attacker cannot multiply
 * their guesses by the number of instances behind the load balancer.
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

  async addFailure(key: string, now: number, windowsMs: readonly number[]): Promise<number[]> {
    const longest = Math.max(...windowsMs);
    const counts = (await this.redis.eval(ADD_FAILURE, 1, `${this.prefix}failures:${key}`, now, longest, `${now}:${randomUUID()}`, ...windowsMs)) as number[];
    return counts.map(Number);
  }

  async block(key: string, until: number, now: number): Promise<void> {
    await this.redis.eval(BLOCK, 1, `${this.prefix}block:${key}`, until, now);
  }

  async blockedUntil(key: string, now: number): Promise<number | null> {
    const value = await this.redis.get(`${this.prefix}block:${key}`);
    if (value === null) return null;
    const until = Number(value);
    return until > now ? until : null;
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
