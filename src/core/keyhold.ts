import { AccountService } from "./accounts.js";
import { AuditLog } from "./audit-log.js";
import { AuditChainHasher } from "./audit-chain.js";
import type { AuditForwarder } from "./audit-forward.js";
import { BruteForceAdmin } from "./brute-force-admin.js";
import { BruteForceGuard, type AttemptStore } from "./brute-force.js";
import { LocalChangeFeed, type ChangeFeed } from "./changes.js";
import { systemClock, type Clock } from "./clock.js";
import { PasswordCache } from "./credentials/password-cache.js";
import { PasswordHasher } from "./credentials/password.js";
import { Directory } from "./directory.js";
import { HashingGate, type HashingLimits } from "./hashing-gate.js";
import { IpAccessHashService } from "./ip-access-hashes.js";
import { MemoryAttemptStore } from "./memory-attempts.js";
import { noMetrics, type KeyholdMetrics } from "./metrics.js";
import type { SecretBox } from "./secret-box.js";
import { SessionService } from "./sessions.js";
import { SettingsService } from "./settings-service.js";
import { TokenService } from "./tokens.js";
import { UsageRecorder } from "./usage.js";
import { Verifier } from "./verify.js";
import { WhmAccessHashService } from "./whm-access-hashes.js";
import type { StoreCounts } from "./storage/records.js";
import type { Store } from "./storage/store.js";

export interface KeyholdOptions {
  /** The whole store; each service below is handed only the contracts it uses. */
  readonly store: Store;
  readonly secretBox: SecretBox;
  /** Where each audit entry is sent after it commits (--audit-jsonl, --audit-syslog). */
  readonly auditForwarders?: readonly AuditForwarder[];
  readonly clock?: Clock;
  readonly changes?: ChangeFeed;
  readonly attempts?: AttemptStore;
  readonly usageFlushIntervalMs?: number;
  /** How passwords are hashed; scrypt at its production cost unless given. */
  readonly passwordHasher?: PasswordHasher;
  /** How many password checks may run at once, per address and overall; scaled to the cores unless given. */
  readonly hashingLimits?: HashingLimits;
  readonly onBackgroundError?: (error: unknown) => void;
  /** Where verifications, cache lookups, change-feed and store events are counted; nowhere unless given. */
  readonly metrics?: KeyholdMetrics;
}

/** Keyhold's domain, wired once and shared by the HTTP server and the CLI. */
export interface Keyhold {
  readonly clock: Clock;
  readonly settings: SettingsService;
  readonly accounts: AccountService;
  /** WHM's Remote Access Key, one per root or reseller account. */
  readonly accessHashes: WhmAccessHashService;
  readonly tokens: TokenService;
  /** PUQ-style access hashes, each bound to an address or range. */
  readonly ipAccessHashes: IpAccessHashService;
  readonly sessions: SessionService;
  readonly verifier: Verifier;
  /** The guard every verification passes; root lists and flushes its blocks through `blocks`. */
  readonly bruteForce: BruteForceGuard;
  /** Brute-force blocks: listed and flushed by root (`keyhold brute-force`, Tweak Settings). */
  readonly blocks: BruteForceAdmin;
  readonly audit: AuditLog;
  readonly usage: UsageRecorder;
  /** Totals over every tenant: only root level may be shown them. */
  counts(): Promise<StoreCounts>;
  close(): Promise<void>;
}

export async function createKeyhold(options: KeyholdOptions): Promise<Keyhold> {
  const { store, secretBox } = options;
  const clock = options.clock ?? systemClock;
  const changes = options.changes ?? new LocalChangeFeed();
  const onBackgroundError = options.onBackgroundError ?? ((error: unknown) => console.error("keyhold: background task failed:", error));
  const auditChain = new AuditChainHasher(secretBox.auditChainKey);
  await store.useAuditChain(auditChain);
  const forwarders = options.auditForwarders ?? [];
  for (const forwarder of forwarders) {
    store.onAuditAppended((entry) => {
      try {
        forwarder.send(entry);
      } catch (error) {
        onBackgroundError(error);
      }
    });
  }
  const settings = await SettingsService.load(store, changes, clock, onBackgroundError);
  const readSettings = () => settings.get();
  const metrics = options.metrics ?? noMetrics;
  changes.observe?.(metrics);
  const directory = new Directory(store, changes, metrics);
  const hasher = options.passwordHasher ?? new PasswordHasher();
  const usage = new UsageRecorder(store, onBackgroundError, options.usageFlushIntervalMs, metrics);
  const guard = new BruteForceGuard(options.attempts ?? new MemoryAttemptStore(), readSettings, onBackgroundError);
  const verifier = new Verifier({
    audit: store,
    directory,
    secretBox,
    guard,
    usage,
    passwords: new PasswordCache(() => clock.now()),
    hasher,
    hashing: new HashingGate(options.hashingLimits),
    clock,
    settings: readSettings,
    onBackgroundError,
    metrics,
  });
  return {
    clock,
    settings,
    accounts: new AccountService(store, changes, clock, hasher),
    accessHashes: new WhmAccessHashService(store, secretBox, changes, usage, clock, readSettings),
    tokens: new TokenService(store, changes, usage, clock),
    ipAccessHashes: new IpAccessHashService(store, changes, usage, clock),
    sessions: new SessionService(store, changes, clock),
    verifier,
    bruteForce: guard,
    blocks: new BruteForceAdmin(guard, store, clock),
    audit: new AuditLog(store, auditChain),
    usage,
    counts: () => store.counts(),
    async close(): Promise<void> {
      await usage.close();
      directory.close();
      settings.close();
      await guard.close();
      await changes.close();
      await store.close();
      await Promise.all(forwarders.map((forwarder) => forwarder.close()));
    },
  };
}
