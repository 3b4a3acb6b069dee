import { isValidUsername, printable, type Account } from "./account.js";
import { holdsAllPrivilegesOf, type Actor } from "./actor.js";
import { forbidden, notFound, type KeyholdError } from "./errors.js";
import type { AccountRecords } from "./storage/record-store.js";
import type { AccountRecord } from "./storage/records.js";

// Who may act on whom, as WHM has it. Every service asks here; none compares owners itself.
//
// - Root level (`all`) acts on anyone.
// - A reseller acts on itself and on the accounts it owns; acting as an owned account needs every
//   privilege that account has (a reseller may own another reseller).
// - Another reseller's account answers exactly as a missing one, so no reseller learns which
//   accounts the others have.
// - Some credentials are narrower still: a reseller owning an account may not act on that
//   account's WHM access hash, nor make IP access hashes for a reseller it owns.

/** All tenancy needs of the store to find one account. */
export type AccountsByName = Pick<AccountRecords, "getAccountByUsername">;
/** And to list the accounts a caller acts on. */
export type AccountLister = Pick<AccountRecords, "getAccountByUsername" | "listAccounts">;

/** Root level (`all`), which acts on every account. */
export function actsOnAnyone(actor: Actor): boolean {
  return actor.acls.rootLevel;
}

export function isOwnAccount(actor: Actor, account: Pick<Account, "username">): boolean {
  return account.username === actor.username;
}

/** The reseller (or root) that owns the account, as WHM's `owner` names it. */
export function ownsAccount(actor: Actor, account: Pick<Account, "owner">): boolean {
  return account.owner === actor.username;
}

/**
 * The one answer for an account that does not exist *and* for one the caller may not see: the
 * same status and words, so no reseller can learn which accounts other resellers have.
 */
export function accountNotFound(username: string): KeyholdError {
  return notFound(`The account “${printable(username)}” does not exist.`);
}

/** Root level sees every account; anyone else itself and the accounts it owns. */
export function canSee(actor: Actor, account: Pick<Account, "username" | "owner">): boolean {
  return actsOnAnyone(actor) || isOwnAccount(actor, account) || ownsAccount(actor, account);
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

/** What `list-accts` shows: root level every account, a reseller those it owns. */
export function listableAccounts(store: Pick<AccountRecords, "listAccounts">, actor: Actor): Promise<AccountRecord[]> {
  return actsOnAnyone(actor) ? store.listAccounts() : store.listAccounts({ owner: actor.username });
}

/**
 * Acting on another account (reading, suspending, a new password, removing it): root level, or
 * its owner holding every privilege it has. Anything else the caller does not own answers as
 * missing, like every account it cannot see.
 */
export function requireMayManage(actor: Actor, target: Account): void {
  if (actsOnAnyone(actor)) return;
  if (!ownsAccount(actor, target)) throw accountNotFound(target.username);
  // Acting as an owned reseller must not give the owner privileges it does not hold itself.
  if (!holdsAllPrivilegesOf(actor, target)) throw forbidden(`You do not have access to the account “${target.username}”: it has privileges you do not hold.`);
}

/** Removing a reseller hands its accounts to root: root level only, even for a reseller that owns it. */
export function requireMayRemove(actor: Actor, target: Account): void {
  requireMayManage(actor, target);
  if (target.role === "reseller" && !actsOnAnyone(actor)) throw forbidden("Only root can remove a reseller.");
}

/** New accounts belong to whoever creates them; only root level names another owner. */
export function requireMayChooseOwner(actor: Actor): void {
  if (!actsOnAnyone(actor)) throw forbidden("Only root can create accounts for another owner.");
}

/**
 * Another account's API tokens, once `visibleAccount` found it: managing them is acting as the
 * account, so the caller must hold every privilege it has.
 */
export function requireMayManageTokensOf(actor: Actor, owner: Account): void {
  if (!holdsAllPrivilegesOf(actor, owner)) throw forbidden(`You do not have access to the API tokens of “${owner.username}”: it has privileges you do not hold.`);
}

/**
 * IP access hashes: root level for anyone, a reseller for itself and the plain users it owns. A
 * reseller it owns it sees, but that one's hashes are root's to make.
 */
export function managesIpAccessHashesOf(actor: Actor, account: Pick<Account, "username" | "owner" | "role">): boolean {
  return actsOnAnyone(actor) || isOwnAccount(actor, account) || (ownsAccount(actor, account) && account.role === "user");
}

/** The accounts whose IP access hashes the caller manages; `everyone` when that is all of them. */
export async function ipAccessHashAccounts(store: AccountLister, actor: Actor): Promise<{ readonly everyone: boolean; readonly accounts: AccountRecord[] }> {
  if (actsOnAnyone(actor)) return { everyone: true, accounts: await store.listAccounts() };
  const own = await store.getAccountByUsername(actor.username);
  const owned = (await store.listAccounts({ owner: actor.username })).filter((account) => managesIpAccessHashesOf(actor, account));
  return { everyone: false, accounts: own === null ? owned : [own, ...owned.filter((account) => account.id !== own.id)] };
}

/**
 * WHM's access hash (Whostmgr/AccessHash.pm): one's own, or anyone's at root level. Owning an
 * account is not enough; this is asked before the account is even looked up.
 */
export function mayActOnWhmAccessHashOf(actor: Actor, username: string): boolean {
  return username === actor.username || actsOnAnyone(actor);
}
