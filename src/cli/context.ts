import type { Command } from "commander";
import { resolve } from "node:path";
import { resolveStoreLocation, type StoreFlags, type StoreLocation } from "../config.js";
import { createKeyhold, type Keyhold } from "../core/keyhold.js";
import type { KeyholdMetrics } from "../core/metrics.js";
import type { AuditForwarder } from "../core/audit-forward.js";
import { bindKeyFile } from "../store/key-binding.js";
import { describeStore, openBackend } from "../store/open.js";
import { RedisAttemptStore } from "../store/redis-attempts.js";

/**
 * Every command that opens the store, `serve` included, takes the same three flags, with the same
 * env twins; config.ts resolves them (resolveStoreLocation).
 */
export function withStoreOptions(command: Command): Command {
  return command
    .option("--data-dir <dir>", "data directory (env KEYHOLD_DATA_DIR)", undefined)
    .option("--database <url>", "database URL; default: SQLite in the data directory (env KEYHOLD_DATABASE_URL)")
    .option("--key-file <path>", "encryption key file; default: keyhold.key in the data directory (env KEYHOLD_KEY_FILE)");
}

export interface OpenOptions {
  /**
   * Create the store and its key file when they do not exist: `serve` does. Every other command
   * refuses, so one run from the wrong folder cannot leave a new empty store behind.
   */
  readonly create?: boolean;
  /** Shares brute-force counters through Redis. */
  readonly redisUrl?: string | undefined;
  readonly onBackgroundError?: (error: unknown) => void;
  /** Where `serve --metrics-listen` counts what happens; nowhere otherwise. */
  readonly metrics?: KeyholdMetrics;
  /** `serve --audit-jsonl/--audit-syslog`: where audit entries go after commit. */
  readonly auditForwarders?: readonly AuditForwarder[];
}

let verbose = false;

/** The global `--verbose`: every command then names, on stderr, the store and key file it opens. */
export function setVerbose(on: boolean): void {
  verbose = on;
}

/** One `keyhold: …` line on stderr, under --verbose only. */
export function verboseLine(text: string): void {
  if (verbose) process.stderr.write(`keyhold: ${text}\n`);
}

/**
 * The one way Keyhold is opened, by `serve` and by every other command: the store first, then
 * the key file checked against it (store/key-binding.ts).
 */
export async function openKeyhold(location: StoreLocation, options: OpenOptions = {}): Promise<Keyhold> {
  const onBackgroundError = options.onBackgroundError ?? ((error: unknown) => process.stderr.write(`keyhold: background task failed: ${String(error)}\n`));
  const create = options.create === true;
  const storeName = describeStore(location.databaseUrl, location.dataDir);
  verboseLine(`store ${storeName}, key ${resolve(location.keyFile)}`);
  const { store, changes } = await openBackend(location.databaseUrl, location.dataDir, onBackgroundError, { create });
  let secretBox;
  try {
    secretBox = await bindKeyFile(store, location.keyFile, { mayCreate: create, storeName });
  } catch (error) {
    await changes.close();
    await store.close();
    throw error;
  }
  const attempts = options.redisUrl === undefined || options.redisUrl === "" ? undefined : new RedisAttemptStore(options.redisUrl);
  return createKeyhold({
    store,
    secretBox,
    changes,
    onBackgroundError,
    ...(attempts === undefined ? {} : { attempts }),
    ...(options.metrics === undefined ? {} : { metrics: options.metrics }),
    ...(options.auditForwarders === undefined ? {} : { auditForwarders: options.auditForwarders }),
  });
}

/** Opens the store for one command and closes it whatever happens. */
export async function withKeyhold<T>(flags: StoreFlags, work: (keyhold: Keyhold) => Promise<T>): Promise<T> {
  const keyhold = await openKeyhold(resolveStoreLocation(flags, process.env), { create: false });
  try {
    // Accounts belong to root; a store made by `migrate-store` or an older version may lack it
    // (it gets none without a password until `serve` sets one or `account passwd root`).
    await keyhold.accounts.ensureRoot(null);
    return await work(keyhold);
  } finally {
    await keyhold.close();
  }
}
