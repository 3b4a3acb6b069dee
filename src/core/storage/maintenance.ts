import type { StoreCounts } from "./records.js";
import type { Store } from "./store.js";

/** What the operator's commands (status, `migrate-store`) and shutdown ask of a store as a whole. */
export interface StoreMaintenance {
  counts(): Promise<StoreCounts>;
  /** Empties every table, the key fingerprint included; only `migrate-store --force` calls it, inside the copy's transaction. */
  eraseAllData(): Promise<void>;
  /** Runs `work` atomically: every write through the given store commits together or not at all. */
  transaction<T>(work: (store: Store) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}
