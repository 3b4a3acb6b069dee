import { invalidArgument } from "./errors.js";
import { formatRange, parseRange } from "./ip.js";

interface NumberSettingDefinition {
  readonly key: NumberSettingKey;
  readonly label: string;
  readonly help: string;
  readonly type: "binary" | "number";
  readonly default: number;
  readonly min: number;
  readonly max: number;
}

/** A list of addresses and CIDR ranges, stored as one comma-separated string of normalised entries. */
interface AddressListSettingDefinition {
  readonly key: ListSettingKey;
  readonly label: string;
  readonly help: string;
  readonly type: "address-list";
  readonly default: "";
  readonly maxEntries: number;
}

export type SettingDefinition = NumberSettingDefinition | AddressListSettingDefinition;

/**
 * Every setting Keyhold knows, with WHM's key names: `allow_deprecated_accesshash` is WHM's
 * Tweak Setting, the rest are cPHulk's brute-force settings with cPHulk's defaults (reference §6),
 * except that per-account protection is on, as Keyhold's issue asks.
 */
export const SETTINGS: readonly SettingDefinition[] = [
  {
    key: "allow_deprecated_accesshash",
    label: "Allow deprecated WHM accesshash authentication",
    help: "Allow the use of access hashes for authenticating API calls. This method of authentication has been deprecated in favor of API Tokens.",
    type: "binary",
    default: 0,
    min: 0,
    max: 1,
  },
  {
    key: "ip_based_protection",
    label: "IP-based brute-force protection",
    help: "Block an IP address after repeated failed logins from it.",
    type: "binary",
    default: 1,
    min: 0,
    max: 1,
  },
  {
    key: "max_failures_byip",
    label: "Maximum failures per IP address",
    help: "Failed logins from one IP address within the IP period that block the address.",
    type: "number",
    default: 5,
    min: 1,
    max: 100_000,
  },
  {
    key: "ip_brute_force_period_mins",
    label: "IP address-based brute force protection period (minutes)",
    help: "The window in which failures from one IP address are counted, and how long its block lasts.",
    type: "number",
    default: 15,
    min: 1,
    max: 10_080,
  },
  {
    key: "mark_as_brute",
    label: "Maximum failures per IP address before a one-day block",
    help: "Failed logins from one IP address within the look-back period that block it for a day.",
    type: "number",
    default: 30,
    min: 1,
    max: 100_000,
  },
  {
    key: "lookback_period_min",
    label: "Look-back period (minutes)",
    help: "The window for the one-day block.",
    type: "number",
    default: 360,
    min: 1,
    max: 43_200,
  },
  {
    key: "username_based_protection",
    label: "Username-based brute-force protection",
    help: "Lock an account's password logins after repeated failures for it, from any address.",
    type: "binary",
    default: 1,
    min: 0,
    max: 1,
  },
  {
    key: "max_failures",
    label: "Maximum failures per account",
    help: "Failed logins for one account within the account period that lock its password logins.",
    type: "number",
    default: 15,
    min: 1,
    max: 100_000,
  },
  {
    key: "brute_force_period_mins",
    label: "Account brute-force protection period (minutes)",
    help: "The window in which failures for one account are counted, and how long its lock lasts.",
    type: "number",
    default: 5,
    min: 1,
    max: 10_080,
  },
  {
    key: "verify_max_failures_per_caller",
    label: "Maximum failures per verify-API caller",
    help: "Failed verifications one verify-API caller may report within the IP period, whatever client addresses it names, before its verify calls are refused for the period.",
    type: "number",
    default: 100,
    min: 1,
    max: 1_000_000,
  },
  {
    key: "audit_retention_days",
    label: "Audit log retention (days)",
    help: "Audit entries older than this many days are pruned (hourly, by the server); a signed checkpoint keeps the rest of the hash chain verifiable. 0 keeps every entry.",
    type: "number",
    default: 0,
    min: 0,
    max: 36_500,
  },
  {
    key: "trusted_ips",
    label: "Trusted IP addresses",
    help: "Addresses and CIDR ranges, separated by commas, that brute-force protection never counts or blocks (cPHulk's trusted list). Put only addresses you control here.",
    type: "address-list",
    default: "",
    maxEntries: 1_000,
  },
];

export type NumberSettingKey =
  | "allow_deprecated_accesshash"
  | "ip_based_protection"
  | "max_failures_byip"
  | "ip_brute_force_period_mins"
  | "mark_as_brute"
  | "lookback_period_min"
  | "username_based_protection"
  | "max_failures"
  | "brute_force_period_mins"
  | "verify_max_failures_per_caller"
  | "audit_retention_days";

export type ListSettingKey = "trusted_ips";
export type SettingKey = NumberSettingKey | ListSettingKey;

export type Settings = Readonly<Record<NumberSettingKey, number>> & { readonly trusted_ips: readonly string[] };

export type SettingValue = number | readonly string[];

const BY_KEY = new Map<string, SettingDefinition>(SETTINGS.map((definition) => [definition.key, definition]));

export function isSettingKey(key: string): key is SettingKey {
  return BY_KEY.has(key);
}

export function settingDefinition(key: SettingKey): SettingDefinition {
  return BY_KEY.get(key)!;
}

export function defaultSettings(): Settings {
  const settings: Record<string, SettingValue> = {};
  for (const definition of SETTINGS) settings[definition.key] = definition.type === "address-list" ? [] : definition.default;
  return settings as unknown as Settings;
}

/** Applies stored values over the defaults, ignoring keys or values a newer or older version wrote. */
export function settingsFrom(stored: ReadonlyMap<string, string>): Settings {
  const settings: Record<string, SettingValue> = { ...defaultSettings() };
  for (const [key, raw] of stored) {
    if (!isSettingKey(key)) continue;
    const definition = settingDefinition(key);
    if (definition.type === "address-list") {
      const entries = parseAddressList(raw);
      if (entries !== null && entries.length <= definition.maxEntries) settings[key] = entries;
      continue;
    }
    const value = Number(raw);
    if (Number.isInteger(value) && value >= definition.min && value <= definition.max) settings[key] = value;
  }
  return settings as unknown as Settings;
}

/** How a value is shown and stored: numbers as they are, lists as `a, b` (stored without spaces). */
export function displayValue(value: SettingValue): number | string {
  return typeof value === "number" ? value : value.join(", ");
}

export function storedValue(value: SettingValue): string {
  return typeof value === "number" ? String(value) : value.join(",");
}

export function requireSettingKey(key: string): SettingKey {
  if (!isSettingKey(key)) {
    throw invalidArgument(`Unknown setting “${key.slice(0, 64)}”. Known settings: ${SETTINGS.map((s) => s.key).join(", ")}.`);
  }
  return key;
}

export function parseSettingValue(name: string, raw: string): { key: SettingKey; value: SettingValue } {
  const key = requireSettingKey(name);
  const definition = settingDefinition(key);
  if (definition.type === "address-list") {
    const entries: string[] = [];
    for (const entry of splitList(raw)) {
      const range = parseRange(entry);
      if (range === null) throw invalidArgument(`Invalid value for “${key}”: “${entry.slice(0, 64)}” is not an IP address or CIDR range (such as 192.0.2.10 or 10.0.0.0/8).`);
      entries.push(formatRange(range));
    }
    if (entries.length > definition.maxEntries) throw invalidArgument(`Invalid value for “${key}”: at most ${definition.maxEntries} entries.`);
    return { key, value: [...new Set(entries)] };
  }
  const trimmed = raw.trim();
  const value = /^-?\d+$/.test(trimmed) ? Number(trimmed) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < definition.min || value > definition.max) {
    const range = definition.type === "binary" ? "0 or 1" : `a whole number from ${definition.min} to ${definition.max}`;
    throw invalidArgument(`Invalid value for “${key}”: use ${range}.`);
  }
  return { key, value };
}

// Commas, spaces or new lines separate entries: people paste lists in every one of these forms.
function splitList(raw: string): string[] {
  return raw.split(/[\s,]+/).filter((entry) => entry !== "");
}

function parseAddressList(raw: string): string[] | null {
  const entries: string[] = [];
  for (const entry of splitList(raw)) {
    const range = parseRange(entry);
    if (range === null) return null;
    entries.push(formatRange(range));
  }
  return entries;
}
