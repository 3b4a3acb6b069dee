import { availableParallelism } from "node:os";
import { counterAddress } from "./ip.js";

export interface HashingLimits {
  /** Password checks in progress (or queued) for one client address at once. */
  readonly perAddress: number;
  /** Password checks running at once on this instance. */
  readonly overall: number;
  /** Password checks that may wait for a slot when all run; beyond that the server is busy. */
  readonly queue: number;
}

export type GateRefusal = { readonly busy: "address" | "server" };
export type Release = () => void;

const ADDRESS_BUSY: GateRefusal = { busy: "address" };
const SERVER_BUSY: GateRefusal = { busy: "server" };

/** scrypt's threads are the machine's cores: more at once only makes every check slower. */
export function defaultHashingLimits(): HashingLimits {
  const overall = 2 * availableParallelism();
  return { perAddress: 2, overall, queue: 2 * overall };
}

/**
 * Bounds password hashing work, so guessing from one address cannot take the scrypt time every
 * other user's login needs: a few checks per address, a few per core overall, and a short queue.
 * What does not fit is refused at once (429 per address, 503 overall) rather than waiting.
 */
export class HashingGate {
  private running = 0;
  private readonly waiting: Array<() => void> = [];
  private readonly held = new Map<string, number>();
  private readonly perCaller: number;

  constructor(private readonly limits: HashingLimits = defaultHashingLimits()) {
    // A verify-API caller speaks for many clients, yet may not take every slot there is.
    this.perCaller = Math.max(limits.perAddress, Math.floor(limits.overall / 2));
  }

  /** A slot to hash in (the promise settles once it runs), or why there is none. */
  enter(ip: string, caller: string | null): Promise<Release> | GateRefusal {
    const address = counterAddress(ip);
    const holds: Array<[string, number]> = caller === null ? [[address, this.limits.perAddress]] : [[`${caller} ${address}`, this.limits.perAddress], [caller, this.perCaller]];
    for (const [key, limit] of holds) if ((this.held.get(key) ?? 0) >= limit) return ADDRESS_BUSY;
    if (this.running >= this.limits.overall && this.waiting.length >= this.limits.queue) return SERVER_BUSY;
    for (const [key] of holds) this.held.set(key, (this.held.get(key) ?? 0) + 1);

    let released = false;
    const release: Release = () => {
      if (released) return;
      released = true;
      for (const [key] of holds) {
        const count = (this.held.get(key) ?? 1) - 1;
        if (count === 0) this.held.delete(key);
        else this.held.set(key, count);
      }
      const next = this.waiting.shift();
      if (next === undefined) this.running--;
      else next();
    };
    if (this.running < this.limits.overall) {
      this.running++;
      return Promise.resolve(release);
    }
    // The slot passes straight from the check that ends to the next one waiting.
    return new Promise((resolve) => this.waiting.push(() => resolve(release)));
  }
}
