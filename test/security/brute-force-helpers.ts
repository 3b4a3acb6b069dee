import { PasswordHasher, type ScryptCost } from "../../src/core/credentials/password.js";

/**
 * A PasswordHasher that counts every verification (a decoy's included) and can hold them all
 * until `open()`: a burst then stays in flight as long as the test needs, with no sleeping.
 */
export class CountingHasher extends PasswordHasher {
  verified = 0;
  private readonly waiters: Array<{ count: number; resolve: () => void }> = [];
  private release: () => void = () => {};
  private readonly held: Promise<void>;

  constructor(
    private readonly hold = false,
    cost: ScryptCost = { logN: 10, r: 8, p: 1 },
  ) {
    super(cost);
    this.held = new Promise((resolve) => (this.release = resolve));
  }

  override async verify(password: string, encoded: string): Promise<boolean> {
    this.verified++;
    for (const waiter of this.waiters.filter((w) => this.verified >= w.count)) {
      this.waiters.splice(this.waiters.indexOf(waiter), 1);
      waiter.resolve();
    }
    if (this.hold) await this.held;
    return super.verify(password, encoded);
  }

  /** Resolves once `count` verifications have started. */
  started(count: number): Promise<void> {
    if (this.verified >= count) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ count, resolve }));
  }

  open(): void {
    this.release();
  }
}

/** Resolves when `count` of the promises have settled, or every one has. */
export function settledCount(promises: ReadonlyArray<Promise<unknown>>, count: number): Promise<void> {
  return new Promise((resolve) => {
    let settled = 0;
    if (count <= 0) resolve();
    for (const promise of promises) {
      void promise.finally(() => {
        settled++;
        if (settled >= Math.min(count, promises.length)) resolve();
      });
    }
  });
}
