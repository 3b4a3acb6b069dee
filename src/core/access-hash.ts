import { randomBytes } from "node:crypto";

/** WHM's access hash: 30 lines of 32 lowercase hex characters (bin/mkaccesshash). */
export const ACCESS_HASH_LINES = 30;
export const ACCESS_HASH_LINE_LENGTH = 32;
export const ACCESS_HASH_LENGTH = ACCESS_HASH_LINES * ACCESS_HASH_LINE_LENGTH;

export function generateAccessHash(): string {
  return randomBytes(ACCESS_HASH_LENGTH / 2).toString("hex");
}

/** Clients send the hash "stripped of all new lines"; WHM's own tools strip all whitespace. */
export function normalizeAccessHash(text: string): string {
  return text.replace(/\s+/g, "");
}

/** The `~/.accesshash` file format: 30 lines of 32 characters, each ending in LF. */
export function formatAccessHashFile(hash: string): string {
  const lines: string[] = [];
  for (let i = 0; i < hash.length; i += ACCESS_HASH_LINE_LENGTH) {
    lines.push(`${hash.slice(i, i + ACCESS_HASH_LINE_LENGTH)}\n`);
  }
  return lines.join("");
}

/** "The first 32 characters of the remote access key, separated by colons": `ab:cd:…` (47 characters). */
export function accessKeySignature(hash: string): string {
  return (hash.slice(0, 32).match(/.{1,2}/g) ?? []).join(":");
}
