/**
 * What Keyhold's core reports for monitoring. Core knows nothing of Prometheus: src/http/metrics.ts
 * implements this with prom-client, and everything defaults to `noMetrics`. Methods sit on hot
 * paths (every verification, every cache lookup): implementations must not allocate per call.
 */
export interface KeyholdMetrics {
  /** One verification finished: its scheme, its outcome code (VALID, NOT_FOUND…, or ERROR if it threw), and how long it took. */
  verification(scheme: string, outcome: string, seconds: number): void;
  /** A verification refused because a brute-force block (or the password-hashing gate) was in force. */
  lockout(): void;
  /** A directory lookup: which cache (account, credentials, session, ip_access_hash) and whether it hit. */
  cacheLookup(cache: CacheName, hit: boolean): void;
  /** Every cache was dropped because changes may have been missed. */
  changeFeedResync(): void;
  /** How long a change took from the instance that made it to this one. */
  changeFeedLag(milliseconds: number): void;
  /** One batch of last-use updates was written, holding `records` updates. */
  usageBatchWritten(records: number): void;
  /** A store operation (or a change-feed notice) failed. */
  storeError(): void;
}

export type CacheName = "account" | "credentials" | "session" | "ip_access_hash";

function ignore(): void {}

/** Reports nothing: the default when no metrics endpoint was asked for. */
export const noMetrics: KeyholdMetrics = {
  verification: ignore,
  lockout: ignore,
  cacheLookup: ignore,
  changeFeedResync: ignore,
  changeFeedLag: ignore,
  usageBatchWritten: ignore,
  storeError: ignore,
};
