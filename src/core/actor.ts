import { AclSet, ROOT_ACLS } from "./acl.js";
import { ROOT_USERNAME, accountAcls, type Account } from "./account.js";
import type { CredentialKind } from "./credentials/kind.js";
import { forbidden } from "./errors.js";

/** Who asks for a change: the authenticated caller, or the local operator at the CLI. */
export interface Actor {
  readonly username: string;
  readonly acls: AclSet;
  readonly ip: string;
  /** How the caller authenticated; absent for the operator at the CLI. */
  readonly credential?: CredentialKind;
}

/** The operator at the command line acts with root's rights; the audit log names the CLI. */
export const CLI_ACTOR: Actor = { username: ROOT_USERNAME, acls: ROOT_ACLS, ip: "cli" };

export function requireAcl(actor: Actor, acl: string): void {
  if (!actor.acls.has(acl)) {
    throw forbidden(`Permission denied: this call needs the “${acl}” privilege, which “${actor.username}” does not have.`);
  }
}

export function requireRootLevel(actor: Actor): void {
  if (!actor.acls.rootLevel) {
    throw forbidden(`Permission denied: this call needs root-level privileges (“all”), which “${actor.username}” does not have.`);
  }
}

/**
 * True when the caller is the account itself: its password or session, its Remote Access Key
 * (which has every privilege of the account and no other limit), or the operator. An API token
 * or an IP-bound access hash is a key with limits of its own (privileges, addresses, expiry),
 * so it may change its account's password or keys only where its privileges say so.
 */
export function actsAsAccount(actor: Actor): boolean {
  return actor.credential === undefined || actor.credential === "password" || actor.credential === "session" || actor.credential === "accesshash";
}

/**
 * True when the caller holds every privilege of `account`. A credential that carries all of an
 * account's privileges may be made or read only by such a caller; otherwise a key limited to a
 * few privileges could mint or read an unlimited one.
 */
export function holdsAllPrivilegesOf(actor: Actor, account: Account): boolean {
  const acls = accountAcls(account);
  return acls.rootLevel ? actor.acls.rootLevel : acls.list().every((acl) => actor.acls.has(acl));
}
