import { hash, randomBytes } from "node:crypto";
import type { AccountRecord } from "../storage/records.js";

const TTL_MS = 5 * 60_000;
const MAX_ENTRIES = 10_000;

/**
 * Remembers recent successful password checks, so a client sending HTTP Basic on every call
 * does not pay a 50 ms scrypt each time. Keys are SHA-256 digests keyed by a per-process random
 * secret: the memory holds nothing that could be replayed or cracked offline. An entry is tied to the
 * stored password hash, so a password change ends it at once.
 */
export class PasswordCache {
  private readonly key = randomBytes(32).toString("hex");
  private readonly entries = new Map<string, { passwordHash: string; expiresAt: number }>();

  constructor(private readonly now: () => number) {}

  matches(account: AccountRecord, password: string): boolean {
    const entry = this.entries.get(this.keyFor(account, password));
    return entry !== undefined && entry.passwordHash === account.passwordHash && entry.expiresAt > this.now();
  }

  remember(account: AccountRecord, password: string): void {
    if (account.passwordHash === null) return;
    this.entries.set(this.keyFor(account, password), { passwordHash: account.passwordHash, expiresAt: this.now() + TTL_MS });
    if (this.entries.size > MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value as string);
  }

  private keyFor(account: AccountRecord, password: string): string {
    // A secret prefix rather than HMAC: one one-shot hash instead of an HMAC object per request.
    // Length extension, the weakness of a prefixed key, needs a digest to extend, and these
    // never leave the process.
    return hash("sha256", `${this.key}\u0000${account.id}\u0000${password}`, "base64");
  }
}
