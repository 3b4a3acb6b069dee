import type { AuditChainControl, AuditSource } from "./audit-source.js";
import type { DirectorySource } from "./directory-source.js";
import type { StoreMaintenance } from "./maintenance.js";
import type { RecordStore } from "./record-store.js";

/**
 * The whole storage contract of Keyhold: what every backend (SQLite, PostgreSQL) implements and
 * passes the same contract suite for (`test/store-contract.ts`). Only the composition root holds
 * one; everything in core takes the narrow contracts it uses.
 */
export interface Store extends DirectorySource, RecordStore, AuditSource, AuditChainControl, StoreMaintenance {}
