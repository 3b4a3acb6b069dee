import { hash, randomBytes } from "node:crypto";
import { accountAcls } from "../account.js";
import type { Directory } from "../directory.js";
import { addressInList } from "../ip.js";
import type { IpAccessHashRecord } from "../storage/records.js";
import { accepted, guess, refused, type Resolution } from "./outcome.js";

// PUQ-style API access hashes: one secret with every privilege of its account, working only
// from one address or range. Sent as the cookie `access_hash` or `Authorization: Bearer`.

/** PUQ's format: 80 lowercase hex characters (40 random bytes). */
const SECRET_BYTES = 40;
const SECRET_SHAPE = /^[0-9a-f]{80}$/;
const PREFIX_LENGTH = 8;

export const IP_ACCESS_HASH_EXPIRED_REASON = "This access hash has expired.";

export function generateIpAccessHash(): string {
  return randomBytes(SECRET_BYTES).toString("hex");
}

/** True when a presented string could be one of these hashes at all (checked before any lookup). */
export function hasIpAccessHashShape(secret: string): boolean {
  return SECRET_SHAPE.test(secret);
}

export function ipAccessHashDigest(secret: string): string {
  return hash("sha256", secret, "hex");
}

/** The secret's first characters, kept to tell hashes apart in listings. */
export function ipAccessHashPrefix(secret: string): string {
  return secret.slice(0, PREFIX_LENGTH);
}

export function isIpAccessHashExpired(record: Pick<IpAccessHashRecord, "expiresAt">, now: number): boolean {
  return record.expiresAt !== null && record.expiresAt <= now;
}

/** The hash with this secret, from the address it is bound to, as its (unsuspended) account. */
export async function verifyIpAccessHash(directory: Directory, secret: string, ip: string, now: number): Promise<Resolution> {
  if (!hasIpAccessHashShape(secret)) return guess("BAD_ACCESS_HASH");
  const record = await directory.ipAccessHash(ipAccessHashDigest(secret));
  if (record === null) return guess("BAD_ACCESS_HASH");
  if (isIpAccessHashExpired(record, now)) return refused("EXPIRED", "ACCESS_HASH_EXPIRED", IP_ACCESS_HASH_EXPIRED_REASON);
  if (!addressInList([record.ip], ip)) return refused("IP_NOT_ALLOWED", "IP_NOT_ALLOWED");
  const account = await directory.accountById(record.accountId);
  if (account === null) return refused("NOT_FOUND", "ACCOUNT_GONE");
  if (account.suspended) return refused("ACCOUNT_SUSPENDED", "ACCOUNT_SUSPENDED");
  return accepted(account, accountAcls(account), { kind: "ip-access-hash", id: record.id, name: record.name });
}
