import { randomBytes, timingSafeEqual } from "node:crypto";
import { accountAcls, type Account } from "../account.js";
import type { SecretBox } from "../secret-box.js";
import type { Settings } from "../settings.js";
import type { WhmAccessHashRecord } from "../storage/records.js";
import { accepted, refused, type Resolution } from "./outcome.js";

// WHM's access hash, the "Remote Access Key": one per root or reseller account, with every
// privilege of its account. Sent as `whm user:<hash>`, like an API token.

/** 30 lines of 32 lowercase hex characters (bin/mkaccesshash). */
export const WHM_ACCESS_HASH_LINES = 30;
export const WHM_ACCESS_HASH_LINE_LENGTH = 32;
export const WHM_ACCESS_HASH_LENGTH = WHM_ACCESS_HASH_LINES * WHM_ACCESS_HASH_LINE_LENGTH;

/** What a hash taken from a cPanel server must be: lowercase hex, at least the 32 characters its signature shows. */
const IMPORTABLE_SHAPE = /^[0-9a-f]{32,4096}$/;

export const WHM_ACCESS_HASH_DISABLED_REASON = "Access hash authentication is disabled on this server (allow_deprecated_accesshash is 0).";

export function generateWhmAccessHash(): string {
  return randomBytes(WHM_ACCESS_HASH_LENGTH / 2).toString("hex");
}

/** Clients send the hash "stripped of all new lines"; WHM's own tools strip all whitespace. */
export function normalizeWhmAccessHash(text: string): string {
  return text.replace(/\s+/g, "");
}

/** True for a normalised hash Keyhold will take from a cPanel server's `~/.accesshash`. */
export function isImportableWhmAccessHash(normalized: string): boolean {
  return IMPORTABLE_SHAPE.test(normalized);
}

/** Keyed, so the store alone does not let anyone test a guess against it. */
export function whmAccessHashDigest(secretBox: SecretBox, normalized: string): string {
  return secretBox.digest(normalized);
}

/** WHM's switch for the whole kind, the Tweak Setting `allow_deprecated_accesshash`. */
export function whmAccessHashesEnabled(settings: Settings): boolean {
  return settings.allow_deprecated_accesshash === 1;
}

/** The `~/.accesshash` file format: 30 lines of 32 characters, each ending in LF. */
export function formatAccessHashFile(hash: string): string {
  const lines: string[] = [];
  for (let i = 0; i < hash.length; i += WHM_ACCESS_HASH_LINE_LENGTH) {
    lines.push(`${hash.slice(i, i + WHM_ACCESS_HASH_LINE_LENGTH)}\n`);
  }
  return lines.join("");
}

/** "The first 32 characters of the remote access key, separated by colons": `ab:cd:…` (47 characters). */
export function accessKeySignature(hash: string): string {
  return (hash.slice(0, 32).match(/.{1,2}/g) ?? []).join(":");
}

export interface WhmAccessHashCheck {
  readonly secretBox: SecretBox;
  readonly settings: () => Settings;
}

/**
 * The account's Remote Access Key checked against `secret`, with WHM's rules; null when the
 * secret is not it. A hash carries every privilege of its account.
 */
export function verifyWhmAccessHash(account: Account, record: WhmAccessHashRecord | null, secret: string, check: WhmAccessHashCheck): Resolution | null {
  if (record === null) return null;
  // Compared whatever the setting says, so a real hash refused by policy is told apart from a guess.
  const presented = Buffer.from(whmAccessHashDigest(check.secretBox, normalizeWhmAccessHash(secret)), "hex");
  const stored = Buffer.from(record.digest, "hex");
  if (presented.length !== stored.length || !timingSafeEqual(presented, stored)) return null;
  if (!whmAccessHashesEnabled(check.settings())) return refused("NOT_FOUND", "ACCESS_HASH_DISABLED", WHM_ACCESS_HASH_DISABLED_REASON);
  if (account.role === "user") return refused("NOT_FOUND", "ACCESS_HASH_NOT_FOR_USERS");
  if (account.suspended) return refused("ACCOUNT_SUSPENDED", "ACCOUNT_SUSPENDED");
  return accepted(account, accountAcls(account), { kind: "accesshash", id: account.id, name: null });
}
