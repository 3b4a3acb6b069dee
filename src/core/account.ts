import { AclSet, NO_ACLS, ROOT_ACLS } from "./acl.js";
import { invalidArgument } from "./errors.js";

export type Role = "root" | "reseller" | "user";

export interface Account {
  readonly id: string;
  readonly username: string;
  readonly role: Role;
  /** Username of the reseller (or root) that owns this account, as WHM's `owner`. */
  readonly owner: string;
  readonly domain: string | null;
  /** Stored privileges; meaningful for resellers only. */
  readonly acls: readonly string[];
  readonly suspended: boolean;
  readonly hasPassword: boolean;
  readonly createdAt: number;
  readonly updatedAt: number;
}

export const ROOT_USERNAME = "root";

// cPanel usernames: a lowercase letter, then lowercase letters and digits, 16 characters at most.
const USERNAME_PATTERN = /^[a-z][a-z0-9]{0,15}$/;
const RESERVED_USERNAMES = new Set([
  "all",
  "admin",
  "cpanel",
  "daemon",
  "nobody",
  "postgres",
  "mysql",
  "system",
  "test",
  "whm",
  "www",
  "keyhold",
]);

/** True for names a WHM client could send as a user, root included. */
export function isValidUsername(username: string): boolean {
  return USERNAME_PATTERN.test(username);
}

export function assertNewUsername(username: string): void {
  if (!isValidUsername(username)) {
    throw invalidArgument(
      `Invalid username “${printable(username)}”: a username starts with a lowercase letter, contains only lowercase letters (a-z) and digits (0-9), and has at most 16 characters.`,
    );
  }
  if (username === ROOT_USERNAME || RESERVED_USERNAMES.has(username)) {
    throw invalidArgument(`The username “${username}” is reserved.`);
  }
}

const DOMAIN_PATTERN = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$/;

export function normalizeDomain(domain: string): string {
  const lower = domain.trim().toLowerCase().replace(/\.$/, "");
  if (!DOMAIN_PATTERN.test(lower)) {
    throw invalidArgument(`Invalid domain “${printable(domain)}”: give a fully qualified domain name such as example.com.`);
  }
  return lower;
}

export function isRootLevel(account: Account): boolean {
  return account.role === "root" || (account.role === "reseller" && account.acls.includes("all"));
}

/** The privileges an account holds right now; plain users hold none in WHM. */
export function accountAcls(account: Account): AclSet {
  if (account.role === "root") return ROOT_ACLS;
  if (account.role === "reseller") return new AclSet(account.acls);
  return NO_ACLS;
}

// C0 controls and DEL: CR/LF in a header-derived value is how CVE-2026-41940 wrote into sessions.
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

export function hasControlCharacters(value: string): boolean {
  return CONTROL_CHARACTERS.test(value);
}

/** A value safe to echo in an error message: control characters shown escaped, length capped. */
export function printable(value: string): string {
  const escaped = value.replace(/[\u0000-\u001f\u007f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`);
  return escaped.length > 64 ? `${escaped.slice(0, 64)}…` : escaped;
}
