import type { ChangeFeed } from "../core/changes.js";
import type { Store } from "../core/storage/store.js";

/** A store and the feed that tells this process about changes made through any other. */
export interface Backend {
  readonly store: Store;
  readonly changes: ChangeFeed;
}

export interface OpenStoreOptions {
  /**
   * Create the store (file, schema, tables) when it does not exist yet. Only `serve` and the
   * target of `migrate-store` do: any other command finding no store has been pointed at the
   * wrong place, and a new empty store there would hide that.
   */
  readonly create?: boolean;
}

/** A store that is not there, for a command that must not create one. */
export class StoreMissingError extends Error {
  override readonly name = "StoreMissingError";
}
