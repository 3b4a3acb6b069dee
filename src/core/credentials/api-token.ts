import { hash, randomInt } from "node:crypto";
import { AclSet } from "../acl.js";
import { accountAcls, type Account } from "../account.js";
import { addressInList } from "../ip.js";
import type { ApiTokenRecord } from "../storage/records.js";
import { accepted, refused, type Resolution } from "./outcome.js";

/** WHM's token alphabet and length: 32 characters of [0-9A-Z]. */
const ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
export const TOKEN_LENGTH = 32;
const CHECKSUM_LENGTH = 4;
const TOKEN_SHAPE = /^[0-9A-Z]{32}$/;

export const TOKEN_EXPIRED_REASON = "This API token has expired.";

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
export function apiTokenDigest(secret: string): string {
  return hash("sha512", secret, "hex");
}

export function isApiTokenDigest(text: string): boolean {
  return /^[a-f0-9]{128}$/.test(text);
}

export function isApiTokenExpired(token: Pick<ApiTokenRecord, "expiresAt">, now: number): boolean {
  return token.expiresAt !== null && token.expiresAt <= now;
}

/**
 * A token's effective privileges (reference §3.3): none listed means the owner's current
 * privileges; a root-level owner gets exactly the list; anyone else the intersection.
 */
export function apiTokenAcls(account: Account, token: ApiTokenRecord): AclSet {
  const owner = accountAcls(account);
  if (token.acls === null || token.acls.includes("all")) return owner;
  return owner.rootLevel ? new AclSet(token.acls) : owner.intersect(token.acls);
}

/**
 * The account's token with this plaintext, checked against the token's own limits; null when
 * the secret is none of the account's tokens (it may still be the account's Remote Access Key).
 */
export function verifyApiToken(account: Account, tokens: ReadonlyMap<string, ApiTokenRecord>, secret: string, ip: string, now: number): Resolution | null {
  const token = findApiToken(tokens, secret);
  if (token === null) return null;
  if (account.suspended) return refused("ACCOUNT_SUSPENDED", "ACCOUNT_SUSPENDED");
  // WHM treats an expired token as absent; its holder still learns why.
  if (isApiTokenExpired(token, now)) return refused("EXPIRED", "TOKEN_EXPIRED", TOKEN_EXPIRED_REASON);
  if (token.whitelistIps !== null && !addressInList(token.whitelistIps, ip)) return refused("IP_NOT_ALLOWED", "IP_NOT_ALLOWED");
  return accepted(account, apiTokenAcls(account, token), { kind: "api-token", id: token.id, name: token.name });
}

function findApiToken(tokens: ReadonlyMap<string, ApiTokenRecord>, secret: string): ApiTokenRecord | null {
  if (tokens.size === 0) return null;
  // One SHA-512 and a map lookup: checking the checksum first would cost a second hash on every
  // valid request to save one on a mistyped one. No secret is compared, so there is nothing to
  // compare in constant time: the lookup's timing tells only about digests, which give away no
  // token (finding a token from its digest is a preimage attack on SHA-512).
  const token = tokens.get(apiTokenDigest(secret));
  if (token === undefined) return null;
  // A created token passed its checksum when it was made; a string in WHM's shape with a wrong
  // checksum can only be a token imported from cPanel, never a converted one.
  if (token.origin === "converted" && !mayBeIssuedToken(secret)) return null;
  return token;
}
