import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from "node:crypto";
import { accountAcls, hasControlCharacters, type Account } from "../account.js";
import { invalidArgument } from "../errors.js";
import type { AccountRecord } from "../storage/records.js";
import { accepted, refused, type AuditCode, type Resolution } from "./outcome.js";

/** scrypt's cost: N = 2^logN, block size r, parallelism p. */
export interface ScryptCost {
  readonly logN: number;
  readonly r: number;
  readonly p: number;
}

// N=2^15, r=8: about 50 ms and 32 MiB per hash on this class of machine (OWASP's recommended
// floor is N=2^17 for interactive logins with r=8,p=1 at higher memory; 2^15 keeps a burst of
// logins from exhausting memory on a 2-core box while staying far from brute-forceable).
export const DEFAULT_SCRYPT_COST: ScryptCost = { logN: 15, r: 8, p: 1 };
const KEY_LENGTH = 32;
const ENCODED = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+)$/;

function scryptAsync(password: string, salt: Buffer, cost: ScryptCost): Promise<Buffer> {
  const N = 2 ** cost.logN;
  const options: ScryptOptions = { N, r: cost.r, p: cost.p, maxmem: 256 * N * cost.r };
  return new Promise((resolve, reject) => {
    scrypt(password, salt, KEY_LENGTH, options, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

/**
 * Password hashes as `$scrypt$ln=15,r=8,p=1$<salt>$<key>` (base64). Each hash names its own
 * cost, so hashes made at one cost keep verifying after the cost for new ones changes.
 */
export class PasswordHasher {
  private decoy: Promise<string> | undefined;

  constructor(private readonly cost: ScryptCost = DEFAULT_SCRYPT_COST) {}

  async hash(password: string): Promise<string> {
    const salt = randomBytes(16);
    const { logN, r, p } = this.cost;
    const key = await scryptAsync(password, salt, this.cost);
    return `$scrypt$ln=${logN},r=${r},p=${p}$${salt.toString("base64")}$${key.toString("base64")}`;
  }

  async verify(password: string, encoded: string): Promise<boolean> {
    const match = ENCODED.exec(encoded);
    if (!match) return false;
    const [, logN, r, p, salt, key] = match;
    const expected = Buffer.from(key!, "base64");
    const actual = await scryptAsync(password, Buffer.from(salt!, "base64"), { logN: Number(logN), r: Number(r), p: Number(p) });
    return actual.length === expected.length && timingSafeEqual(actual, expected);
  }

  /**
   * Spends the same time as a real verification, so a login for an unknown user or a user
   * without a password cannot be told apart from a wrong password by timing. The decoy is at
   * this hasher's cost: after the cost changes, hashes made at the old one verify at theirs
   * until their passwords are set again.
   */
  async verifyAgainstDecoy(password: string): Promise<false> {
    this.decoy ??= this.hash(randomBytes(16).toString("hex"));
    await this.verify(password, await this.decoy);
    return false;
  }
}

export const MIN_PASSWORD_LENGTH = 8;
export const MAX_PASSWORD_LENGTH = 1024;

export function assertAcceptablePassword(password: string): void {
  if (password.length < MIN_PASSWORD_LENGTH) {
    throw invalidArgument(`The password is too short: use at least ${MIN_PASSWORD_LENGTH} characters.`);
  }
  if (password.length > MAX_PASSWORD_LENGTH) {
    throw invalidArgument(`The password is too long: use at most ${MAX_PASSWORD_LENGTH} characters.`);
  }
  if (hasControlCharacters(password)) {
    throw invalidArgument("The password must not contain control characters.");
  }
}

/** How a wrong password is audited: which of the three it was is for the log, never the client. */
export type WrongPassword = Extract<AuditCode, "UNKNOWN_USER" | "NO_PASSWORD_SET" | "BAD_PASSWORD">;

/**
 * The scrypt check: the account when the password is its own, else what kind of guess it was.
 * An unknown user, or one without a password, costs a check against a decoy, so that timing
 * does not tell them from a wrong password.
 */
export async function checkPassword(hasher: PasswordHasher, account: AccountRecord | null, password: string): Promise<AccountRecord | WrongPassword> {
  if (account === null || account.passwordHash === null) {
    await hasher.verifyAgainstDecoy(password);
    return account === null ? "UNKNOWN_USER" : "NO_PASSWORD_SET";
  }
  return (await hasher.verify(password, account.passwordHash)) ? account : "BAD_PASSWORD";
}

const PASSWORD_REF = { kind: "password", id: null, name: null } as const;

/** A right password: the account's own privileges, unless it is suspended. */
export function passwordAccepted(account: Account): Resolution {
  if (account.suspended) return refused("ACCOUNT_SUSPENDED", "ACCOUNT_SUSPENDED");
  return accepted(account, accountAcls(account), PASSWORD_REF);
}
