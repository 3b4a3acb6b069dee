import { isValidUsername, printable } from "./account.js";
import type { Actor } from "./actor.js";
import { notFound, type KeyholdError } from "./errors.js";
import type { AccountRecords } from "./storage/record-store.js";
import type { AccountRecord } from "./storage/records.js";

/** All tenancy needs of the store: accounts by name. */
export type AccountsByName = Pick<AccountRecords, "getAccountByUsername">;

/**
 * The one answer for an account that does not exist *and* for one the caller may not see: the
 * same status and words, so no reseller can learn which accounts other resellers have.
 */
export function accountNotFound(username: string): KeyholdError {
  return notFound(`The account “${printable(username)}” does not exist.`);
}

/** Root level sees every account; anyone else itself and the accounts it owns. */
export function canSee(actor: Actor, account: Pick<AccountRecord, "username" | "owner">): boolean {
  return actor.acls.rootLevel || account.username === actor.username || account.owner === actor.username;
}

/** The account by name, or null when there is none (names that cannot exist are not looked up). */
export async function findAccount(store: AccountsByName, username: string): Promise<AccountRecord | null> {
  return isValidUsername(username) ? store.getAccountByUsername(username) : null;
}

/**
 * The account the caller names, or `accountNotFound` when it does not exist or is not the
 * caller's to see. Privilege checks that do not depend on the account come before this, and
 * those that do (may it act on what it sees?) after, so neither can tell the two cases apart.
 */
export async function visibleAccount(store: AccountsByName, actor: Actor, username: string): Promise<AccountRecord> {
  const account = await findAccount(store, username);
  if (account === null || !canSee(actor, account)) throw accountNotFound(username);
  return account;
}
