import { requireRootLevel, type Actor } from "./actor.js";
import { auditRecord } from "./audit.js";
import type { BlockListing } from "./brute-force.js";
import { invalidArgument } from "./errors.js";
import type { Keyhold } from "./keyhold.js";

/** The current blocks and counted failures: root's, as they tell how many guesses are left. */
export async function listBlocks(keyhold: Keyhold, actor: Actor): Promise<BlockListing[]> {
  requireRootLevel(actor);
  return keyhold.bruteForce.list(keyhold.clock.now());
}

/**
 * cPHulk's flush: forgets the blocks and failures of one address, user or key (all of them when
 * `target` is null), and says so in the audit log. Answers the keys flushed.
 */
export async function flushBlocks(keyhold: Keyhold, actor: Actor, target: string | null): Promise<string[]> {
  requireRootLevel(actor);
  if (target !== null && (target.trim() === "" || target.length > 200 || /[\u0000-\u001f\u007f]/.test(target))) {
    throw invalidArgument("Name an IP address, a user name or a key as “keyhold brute-force list” shows it.");
  }
  const now = keyhold.clock.now();
  const flushed = await keyhold.bruteForce.flush(target, now);
  await keyhold.store.appendAudit(auditRecord(now, actor, "brute-force.flush", target ?? "*", { detail: { flushed: flushed.length } }));
  return flushed;
}
