/**
 * What changed in the store, announced after the change commits, so every cache (in this
 * process, and through a shared feed in every other instance) drops what it must reload.
 */
export type Change =
  | { readonly kind: "account"; readonly accountId: string; readonly username: string }
  | { readonly kind: "credentials"; readonly accountId: string }
  | { readonly kind: "session"; readonly digest: string }
  | { readonly kind: "settings" }
  /** Changes may have been missed (another process wrote, or the feed lost its connection): drop everything. */
  | { readonly kind: "resync" };

import { noMetrics, type KeyholdMetrics } from "./metrics.js";

export type ChangeListener = (change: Change) => void;

export interface ChangeFeed {
  /**
   * True while every change made anywhere reaches this feed. While false (a shared feed lost its
   * connection), caches must not keep what they load: a change they would miss could be a revocation.
   */
  readonly live: boolean;
  publish(change: Change): Promise<void>;
  subscribe(listener: ChangeListener): () => void;
  close(): Promise<void>;
  /** Where a shared feed reports how late notices from other instances arrive, and its own failures. */
  observe?(metrics: KeyholdMetrics): void;
}

/** The feed of a single instance: listeners run synchronously, so a revocation bites at once. */
export class LocalChangeFeed implements ChangeFeed {
  private readonly listeners = new Set<ChangeListener>();
  protected metrics: KeyholdMetrics = noMetrics;

  observe(metrics: KeyholdMetrics): void {
    this.metrics = metrics;
  }

  get live(): boolean {
    return true;
  }

  async publish(change: Change): Promise<void> {
    this.deliver(change);
  }

  protected deliver(change: Change): void {
    for (const listener of this.listeners) listener(change);
  }

  subscribe(listener: ChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    this.listeners.clear();
  }
}
