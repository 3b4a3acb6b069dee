import type { AuditChainHasher, AuditChainReader } from "../audit-chain.js";
import type { AuditFilter, AuditRecord } from "./records.js";

/** The accounting log as its readers see it (the audit service; nothing else reads it back). */
export interface AuditSource extends AuditChainReader {
  listAudit(filter: AuditFilter): Promise<AuditRecord[]>;
}

/** Called with each entry once the transaction that wrote it has committed (forwarding). */
export type AuditListener = (entry: AuditRecord & { readonly seq: number; readonly hash: string | null }) => void;

/** The store's side of the hash chain, set up once the key file is known. */
export interface AuditChainControl {
  /**
   * Keys the chain from now on and seals the entries at its end that have no hash yet (written
   * before migration 004, or by a process without the key such as `migrate-store`).
   */
  useAuditChain(hasher: AuditChainHasher): Promise<void>;
  /** Entries are handed to `listener` after commit, in order; errors are its own to handle. */
  onAuditAppended(listener: AuditListener): void;
  /**
   * Retention: removes the entries from the start of the chain up to the last one written before
   * `cutoff` (never the newest entry), and records a checkpoint signed with the chain's key in
   * the same transaction. Returns how many were removed.
   */
  pruneAuditBefore(cutoff: number): Promise<number>;
}
