import type { Actor } from "./actor.js";
import { isKnownAcl, normalizeAclList, ROOT_ACL } from "./acl.js";
import { printable } from "./account.js";
import { invalidArgument } from "./errors.js";
import { compareRanges, formatRange, parseRange, type IpRange } from "./ip.js";

// Parameter rules and error strings of WHM's token functions (reference §3.4).

const TOKEN_NAME = /^[A-Za-z0-9_-]{1,50}$/;
export const MAX_WHITELIST_ENTRIES = 100;

export function assertTokenName(name: string): void {
  if (!TOKEN_NAME.test(name)) {
    throw invalidArgument(
      `“${printable(name)}” is not a valid API token name. An API token name must not be longer than 50 characters and may only contain the following 64 characters: a-z A-Z 0-9 _ -`,
    );
  }
}

/**
 * The stored ACL list for a token: null (full access) when none or `all` is given. Each name must
 * exist and be held by the caller.
 */
export function tokenAclList(actor: Actor, requested: readonly string[]): string[] | null {
  const names = requested.map((name) => name.trim()).filter((name) => name !== "");
  const refused = names.filter((name) => !(isKnownAcl(name) || name === ROOT_ACL) || !actor.acls.has(name));
  if (refused.length > 0) throw invalidArgument(`Invalid or unauthorized ACL(s) specified: ${refused.map(printable).join(", ")}`);
  if (names.length === 0 || names.includes(ROOT_ACL)) return null;
  return normalizeAclList(names);
}

/** `expires_at` in epoch seconds: empty or 0 means never; a past time is refused. Returns ms. */
export function tokenExpiry(raw: string | undefined, now: number): number | null {
  const text = (raw ?? "").trim();
  if (text === "" || text === "0") return null;
  if (!/^\d{1,12}$/.test(text)) throw invalidArgument(`The “expires_at” value “${printable(text)}” is not a valid Unix epoch time.`);
  const seconds = Number(text);
  if (seconds * 1000 <= now) throw invalidArgument(`The “${text}” value must be a future date.`);
  return seconds * 1000;
}

/** A whitelist as WHM stores it: normalised, IPv4 first, sorted, unique; `any` clears it (null). */
export function tokenWhitelist(requested: readonly string[]): string[] | null {
  const entries = requested.map((entry) => entry.trim()).filter((entry) => entry !== "");
  if (entries.some((entry) => entry.toLowerCase() === "any")) return null;
  if (entries.length > MAX_WHITELIST_ENTRIES) {
    throw invalidArgument(`You have entered “${entries.length}” IP addresses, which is above the limit of ${MAX_WHITELIST_ENTRIES}.`);
  }
  const ranges: IpRange[] = [];
  for (const entry of entries) {
    const range = parseRange(entry);
    if (range === null) throw invalidArgument(`Invalid IP address or CIDR range specified: ${printable(entry)}`);
    ranges.push(range);
  }
  if (ranges.length === 0) return null;
  return [...new Set(ranges.sort(compareRanges).map(formatRange))];
}
