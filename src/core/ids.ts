import { randomBytes } from "node:crypto";

const CROCKFORD = "0123456789abcdefghjkmnpqrstvwxyz";

export type IdPrefix = "acct" | "tok" | "sess" | "aud" | "iah";

/**
 * Prefixed, time-ordered identifiers (`tok_0k3m…`): the prefix makes logs and support tickets
 * self-describing, the leading timestamp keeps inserts in index order and lets lists sort by id.
 */
export function newId(prefix: IdPrefix, now: number = Date.now()): string {
  let time = "";
  let rest = now;
  for (let i = 0; i < 10; i++) {
    time = CROCKFORD[rest % 32] + time;
    rest = Math.floor(rest / 32);
  }
  const random = randomBytes(10);
  let tail = "";
  for (const byte of random) tail += CROCKFORD[byte % 32];
  return `${prefix}_${time}${tail}`;
}
