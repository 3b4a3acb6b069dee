import { AclSet, ROOT_ACLS } from "./acl.js";
import { ROOT_USERNAME } from "./account.js";
import { forbidden } from "./errors.js";

/** Who asks for a change: the authenticated caller, or the local operator at the CLI. */
export interface Actor {
  readonly username: string;
  readonly acls: AclSet;
  readonly ip: string;
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
