import type { ChangeFeed } from "../core/changes.js";
import type { Store } from "./store.js";

/** A store and the feed that tells this process about changes made through any other. */
export interface Backend {
  readonly store: Store;
  readonly changes: ChangeFeed;
}
