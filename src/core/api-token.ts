import { hash, randomInt } from "node:crypto";

/** WHM's token alphabet and length: 32 characters of [0-9A-Z]. */
const ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
export const TOKEN_LENGTH = 32;
const CHECKSUM_LENGTH = 4;
const TOKEN_SHAPE = /^[0-9A-Z]{32}$/;

/**
 * A new token: 28 random characters (about 144 bits) and a 4-character checksum of them, so a
 * mistyped or made-up token in WHM's shape is refused before any lookup. The checksum is public
 * and adds no secrecy; it only catches mistakes and cheap guesses.
 */
export function generateApiToken(): string {
  let body = "";
  for (let i = 0; i < TOKEN_LENGTH - CHECKSUM_LENGTH; i++) body += ALPHABET[randomInt(ALPHABET.length)];
  return body + checksum(body);
}

function checksum(body: string): string {
  const digest = hash("sha256", `keyhold-token-v1:${body}`, "buffer");
  let value = digest.readUInt32BE(0) % ALPHABET.length ** CHECKSUM_LENGTH;
  let text = "";
  for (let i = 0; i < CHECKSUM_LENGTH; i++) {
    text = ALPHABET[value % ALPHABET.length] + text;
    value = Math.floor(value / ALPHABET.length);
  }
  return text;
}

/**
 * False only for a string in WHM's token shape whose checksum is wrong. Every other shape (a
 * token imported from cPanel, a converted 960-character access hash) must still be looked up.
 */
export function mayBeIssuedToken(secret: string): boolean {
  if (!TOKEN_SHAPE.test(secret)) return true;
  return checksum(secret.slice(0, TOKEN_LENGTH - CHECKSUM_LENGTH)) === secret.slice(TOKEN_LENGTH - CHECKSUM_LENGTH);
}

/** How cPanel stores a token: SHA-512, lowercase hex. (One-shot `hash`: it is on every request.) */
export function tokenDigest(secret: string): string {
  return hash("sha512", secret, "hex");
}

export function isTokenDigest(text: string): boolean {
  return /^[a-f0-9]{128}$/.test(text);
}
