import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { ROOT_USERNAME, isValidUsername } from "./account.js";
import { isApiTokenDigest } from "./credentials/api-token.js";
import { normalizeWhmAccessHash } from "./credentials/whm-access-hash.js";
import { KeyholdError } from "./errors.js";
import { jsonErrorOffset } from "./json-position.js";
import { tokenWhitelist } from "./token-rules.js";

/** What a copy of a cPanel server holds that Keyhold can take over, read and checked in full. */
export interface CpanelSnapshot {
  readonly resellers: ReadonlyArray<{ readonly username: string; readonly acls: readonly string[] }>;
  readonly tokens: ReadonlyArray<{ readonly username: string; readonly file: string; readonly tokens: readonly SnapshotToken[] }>;
  readonly whmAccessHashes: ReadonlyArray<{ readonly username: string; readonly file: string; readonly accesshash: string }>;
  readonly allowDeprecatedAccesshash: boolean | null;
  /** Files that could not be used at all, with the line that broke them. */
  readonly problems: readonly FileProblem[];
}

export interface SnapshotToken {
  readonly name: string;
  readonly digest: string;
  readonly createdAt: number;
  readonly expiresAt: number | null;
  readonly acls: readonly string[] | null;
  readonly whitelistIps: readonly string[] | null;
}

export interface FileProblem {
  readonly file: string;
  readonly line: number | null;
  readonly message: string;
}

class FileError extends Error {
  constructor(
    readonly line: number | null,
    message: string,
  ) {
    super(message);
  }
}

const TOKENS_DIR = "var/cpanel/authn/api_tokens_v2/whostmgr";
const TOKEN_NAME = /^[A-Za-z0-9_-]{1,50}$/;

/**
 * Reads the files of reference §3.1 and §2.1 under `rootDir`. Each file is taken whole or not at
 * all: one bad entry rejects its file, so nothing is half-imported.
 */
export function readCpanelSnapshot(rootDir: string): CpanelSnapshot {
  if (!existsSync(rootDir)) throw new KeyholdError("NOT_FOUND", `No such directory: ${rootDir}`);
  const problems: FileProblem[] = [];
  function attempt<T>(file: string, read: () => T): T | null {
    try {
      return read();
    } catch (error) {
      problems.push({ file, line: error instanceof FileError ? error.line : null, message: (error as Error).message });
      return null;
    }
  }

  const resellersFile = join(rootDir, "var/cpanel/resellers");
  const resellers = existsSync(resellersFile) ? (attempt(resellersFile, () => parseResellers(readFileSync(resellersFile, "utf8"))) ?? []) : [];

  const tokens: Array<CpanelSnapshot["tokens"][number]> = [];
  const tokensDir = join(rootDir, TOKENS_DIR);
  if (existsSync(tokensDir)) {
    for (const entry of readdirSync(tokensDir).sort()) {
      if (!entry.endsWith(".json")) continue;
      const file = join(tokensDir, entry);
      const username = entry.slice(0, -".json".length);
      const parsed = attempt(file, () => {
        if (!isValidUsername(username)) throw new FileError(null, `“${username}” is not a valid username.`);
        return parseTokenFile(readFileSync(file, "utf8"));
      });
      if (parsed !== null) tokens.push({ username, file, tokens: parsed });
    }
  }

  const whmAccessHashes: Array<CpanelSnapshot["whmAccessHashes"][number]> = [];
  const candidates = [{ username: ROOT_USERNAME, file: join(rootDir, "root/.accesshash") }];
  const homes = join(rootDir, "home");
  if (existsSync(homes)) {
    for (const username of readdirSync(homes).sort()) {
      if (isValidUsername(username)) candidates.push({ username, file: join(homes, username, ".accesshash") });
    }
  }
  for (const { username, file } of candidates) {
    if (!existsSync(file)) continue;
    const accesshash = attempt(file, () => parseAccessHash(readFileSync(file, "utf8")));
    if (accesshash !== null) whmAccessHashes.push({ username, file, accesshash });
  }

  const configFile = join(rootDir, "var/cpanel/cpanel.config");
  const allowDeprecatedAccesshash = existsSync(configFile) ? attempt(configFile, () => parseCpanelConfig(readFileSync(configFile, "utf8"))) : null;

  return { resellers, tokens, whmAccessHashes, allowDeprecatedAccesshash, problems };
}

/** `/var/cpanel/resellers`: one `user:acl,acl,…` line per reseller. */
export function parseResellers(text: string): Array<{ username: string; acls: string[] }> {
  const resellers: Array<{ username: string; acls: string[] }> = [];
  text.split("\n").forEach((raw, index) => {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) return;
    const colon = line.indexOf(":");
    const username = colon === -1 ? line : line.slice(0, colon);
    if (!isValidUsername(username)) throw new FileError(index + 1, `“${username.slice(0, 40)}” is not a valid reseller name.`);
    const acls = colon === -1 ? [] : line.slice(colon + 1).split(",").map((acl) => acl.trim()).filter((acl) => acl !== "");
    if (acls.some((acl) => !/^[a-z0-9-]+$/.test(acl))) throw new FileError(index + 1, `The privileges of “${username}” are malformed.`);
    resellers.push({ username, acls });
  });
  return resellers;
}

/** `api_tokens_v2/whostmgr/<user>.json`: `{"tokens": {"<sha512>": {name, create_time, …}}}`. */
export function parseTokenFile(text: string): SnapshotToken[] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new FileError(jsonErrorLine(text), `Not valid JSON: ${(error as Error).message}`);
  }
  const tokens = (json as { tokens?: unknown } | null)?.tokens;
  if (tokens === null || typeof tokens !== "object" || Array.isArray(tokens)) throw new FileError(1, "The file has no “tokens” object.");
  const names = new Set<string>();
  return Object.entries(tokens as Record<string, unknown>).map(([digest, value]) => {
    const line = lineOf(text, digest);
    const entry = value as Record<string, unknown> | null;
    if (!isApiTokenDigest(digest)) throw new FileError(line, "A token key is not a SHA-512 hash (128 lowercase hexadecimal characters).");
    if (entry === null || typeof entry !== "object") throw new FileError(line, "A token entry is not an object.");
    const { name, create_time: createTime, expires_at: expiresAt, acls, whitelist_ips: whitelistIps } = entry;
    if (typeof name !== "string" || !TOKEN_NAME.test(name)) throw new FileError(line, "A token has a missing or invalid name.");
    if (names.has(name)) throw new FileError(line, `Two tokens are named “${name}”.`);
    names.add(name);
    if (!isEpoch(createTime)) throw new FileError(line, `Token “${name}” has an invalid create_time.`);
    if (expiresAt !== undefined && expiresAt !== null && !isEpoch(expiresAt)) throw new FileError(line, `Token “${name}” has an invalid expires_at.`);
    if (acls !== undefined && !(Array.isArray(acls) && acls.every((acl) => typeof acl === "string" && /^[a-z0-9-]+$/.test(acl)))) {
      throw new FileError(line, `Token “${name}” has invalid acls.`);
    }
    if (whitelistIps !== undefined && whitelistIps !== null && !(Array.isArray(whitelistIps) && whitelistIps.every((ip) => typeof ip === "string"))) {
      throw new FileError(line, `Token “${name}” has invalid whitelist_ips.`);
    }
    let whitelist: string[] | null;
    try {
      whitelist = tokenWhitelist((whitelistIps as string[] | undefined | null) ?? []);
    } catch (error) {
      throw new FileError(line, `Token “${name}”: ${(error as Error).message}`);
    }
    const aclList = acls === undefined || (acls as string[]).length === 0 || (acls as string[]).includes("all") ? null : [...new Set(acls as string[])].sort();
    return {
      name,
      digest,
      createdAt: Number(createTime) * 1000,
      expiresAt: expiresAt === undefined || expiresAt === null || Number(expiresAt) === 0 ? null : Number(expiresAt) * 1000,
      acls: aclList,
      whitelistIps: whitelist,
    };
  });
}

/** `~/.accesshash`: 30 lines of 32 hex characters (any whitespace is ignored, as WHM does). */
export function parseAccessHash(text: string): string {
  const lines = text.split("\n");
  const bad = lines.findIndex((line) => !/^[0-9a-fA-F\s]*$/.test(line));
  if (bad !== -1) throw new FileError(bad + 1, "An access hash holds only hexadecimal characters.");
  const hash = normalizeWhmAccessHash(text).toLowerCase();
  if (hash.length < 32) throw new FileError(null, "The access hash is empty or too short.");
  return hash;
}

/** `/var/cpanel/cpanel.config`: `key=value` lines; only allow_deprecated_accesshash matters here. */
export function parseCpanelConfig(text: string): boolean | null {
  let value: boolean | null = null;
  text.split("\n").forEach((raw, index) => {
    const line = raw.trim();
    if (!line.startsWith("allow_deprecated_accesshash=")) return;
    const setting = line.slice("allow_deprecated_accesshash=".length).trim();
    if (setting !== "0" && setting !== "1") throw new FileError(index + 1, "allow_deprecated_accesshash must be 0 or 1.");
    value = setting === "1";
  });
  return value;
}

function isEpoch(value: unknown): boolean {
  const number = typeof value === "string" && /^\d+$/.test(value) ? Number(value) : value;
  return typeof number === "number" && Number.isInteger(number) && number >= 0;
}

function lineOf(text: string, needle: string): number | null {
  const at = text.indexOf(needle);
  return at === -1 ? null : text.slice(0, at).split("\n").length;
}

function jsonErrorLine(text: string): number | null {
  const offset = jsonErrorOffset(text);
  return offset < 0 ? null : text.slice(0, offset).split("\n").length;
}
