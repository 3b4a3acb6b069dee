import { createHmac } from "node:crypto";
import type { AuditRecord } from "./storage/records.js";

/** What the first entry of a chain points back to. */
export const GENESIS_HASH = "0".repeat(64);

/** An audit entry with its place in the store's hash chain. */
export interface ChainedAuditRecord extends AuditRecord {
  readonly seq: number;
  readonly prevHash: string | null;
  readonly hash: string | null;
}

/**
 * The canonical form an entry is hashed in: a JSON array in a fixed field order, `detail` with
 * its keys sorted, and the previous entry's hash. `seq` is left out on purpose: the chain, not
 * the number, says what came before, so renumbering shows as "out of order".
 */
export function canonicalAuditEntry(entry: AuditRecord, prevHash: string): string {
  const detail = Object.fromEntries(Object.entries(entry.detail).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return JSON.stringify(["keyhold-audit-v1", entry.id, entry.at, entry.actor, entry.ip, entry.action, entry.target, entry.outcome, detail, prevHash]);
}

/**
 * HMAC-SHA-256 over the canonical entry, keyed with a key derived from the key file
 * (SecretBox.auditChainKey): someone with the database alone cannot recompute the chain after
 * editing it.
 */
export class AuditChainHasher {
  constructor(private readonly key: Buffer) {}

  hash(entry: AuditRecord, prevHash: string): string {
    return createHmac("sha256", this.key).update(canonicalAuditEntry(entry, prevHash), "utf8").digest("hex");
  }

  /** Signs where pruning cut the chain: the last removed entry's `seq` and hash. */
  signCheckpoint(checkpoint: Omit<AuditCheckpoint, "sig">): string {
    return createHmac("sha256", this.key).update(JSON.stringify(["keyhold-audit-checkpoint-v1", checkpoint.seq, checkpoint.hash, checkpoint.at]), "utf8").digest("hex");
  }
}

/** Left by retention pruning: the chain now starts after `seq`, whose hash was `hash`. */
export interface AuditCheckpoint {
  readonly seq: number;
  readonly hash: string;
  /** When the last removed entry was written. */
  readonly at: number;
  readonly sig: string;
}

export type AuditChainProblem = "changed" | "missing" | "out of order";

export type AuditChainResult =
  | { readonly ok: true; readonly entries: number; readonly headSeq: number | null }
  | { readonly ok: false; readonly entries: number; readonly id: string; readonly seq: number; readonly problem: AuditChainProblem; readonly message: string };

/** Reading the chain in `seq` order, a page at a time. */
export interface AuditChainReader {
  listAuditChain(afterSeq: number, limit: number): Promise<ChainedAuditRecord[]>;
  countAudit(): Promise<number>;
  /** Where retention pruning last cut the chain; null if it never did. */
  getAuditCheckpoint(): Promise<AuditCheckpoint | null>;
}

const PAGE = 1000;

/**
 * Walks the chain from its start and stops at the first break: a gap in `seq` (an entry
 * removed), an entry whose hash no longer matches its content (changed, or unsealed), or one
 * whose `prev_hash` is not the hash of the entry before it (reordered).
 */
export async function verifyAuditChain(reader: AuditChainReader, hasher: AuditChainHasher, onProgress: (done: number) => void = () => {}): Promise<AuditChainResult> {
  let expectedSeq = 1;
  let previousHash = GENESIS_HASH;
  let entries = 0;
  let afterSeq = 0;
  const checkpoint = await reader.getAuditCheckpoint();
  if (checkpoint !== null) {
    if (hasher.signCheckpoint(checkpoint) !== checkpoint.sig) {
      return { ok: false, entries, id: "checkpoint", seq: checkpoint.seq, problem: "changed", message: `audit checkpoint (seq ${checkpoint.seq}): changed` };
    }
    expectedSeq = checkpoint.seq + 1;
    previousHash = checkpoint.hash;
    afterSeq = checkpoint.seq;
  }
  for (;;) {
    const page = await reader.listAuditChain(afterSeq, PAGE);
    for (const entry of page) {
      const fail = (problem: AuditChainProblem, extra = ""): AuditChainResult => ({
        ok: false,
        entries,
        id: entry.id,
        seq: entry.seq,
        problem,
        message: `audit entry ${entry.id} (seq ${entry.seq}): ${problem}${extra}`,
      });
      if (entry.seq !== expectedSeq) {
        return fail("missing", entry.seq > expectedSeq ? ` (seq ${expectedSeq}${entry.seq - 1 > expectedSeq ? `..${entry.seq - 1}` : ""} before it not found)` : "");
      }
      if (entry.hash === null || entry.prevHash === null || hasher.hash(entry, entry.prevHash) !== entry.hash) return fail("changed");
      if (entry.prevHash !== previousHash) return fail("out of order");
      previousHash = entry.hash;
      expectedSeq += 1;
      entries += 1;
    }
    onProgress(entries);
    if (page.length < PAGE) break;
    afterSeq = page[page.length - 1]!.seq;
  }
  return { ok: true, entries, headSeq: expectedSeq - 1 === 0 ? null : expectedSeq - 1 };
}
