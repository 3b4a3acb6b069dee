import { requireRootLevel, type Actor } from "./actor.js";
import { auditRecord } from "./audit.js";
import type { ChangeFeed } from "./changes.js";
import type { Clock } from "./clock.js";
import { displayValue, parseSettingValue, settingsFrom, storedValue, type Settings } from "./settings.js";
import type { AuditAppender, SettingRecords, Transactional } from "./storage/record-store.js";

/** Settings are read whole and written one key at a time, each with its audit line. */
export type SettingsStore = SettingRecords & Transactional<SettingRecords & AuditAppender>;

const RELOAD_RETRY_MS = 1_000;

/** Settings are read on every request, so they are held in memory and reloaded on change. */
export class SettingsService {
  // Bumped by every reload and every local write: only the newest may set what is held, so a
  // slow reload that read before a later change cannot put the older values back.
  private version = 0;
  private retry: NodeJS.Timeout | null = null;
  private closed = false;
  private readonly unsubscribe: () => void;

  private constructor(
    private readonly store: SettingsStore,
    private readonly changes: ChangeFeed,
    private readonly clock: Clock,
    private readonly onError: (error: unknown) => void,
    private current: Settings,
  ) {
    this.unsubscribe = changes.subscribe((change) => {
      if (change.kind === "settings" || change.kind === "resync") void this.reload();
    });
  }

  static async load(store: SettingsStore, changes: ChangeFeed, clock: Clock, onError: (error: unknown) => void): Promise<SettingsService> {
    return new SettingsService(store, changes, clock, onError, settingsFrom(await store.getSettings()));
  }

  get(): Settings {
    return this.current;
  }

  async set(actor: Actor, key: string, raw: string): Promise<Settings> {
    requireRootLevel(actor);
    const parsed = parseSettingValue(key, raw);
    const now = this.clock.now();
    const previous = this.current[parsed.key];
    await this.store.transaction(async (tx) => {
      await tx.putSetting(parsed.key, storedValue(parsed.value), now);
      await tx.appendAudit(auditRecord(now, actor, "setting.set", parsed.key, { detail: { from: displayValue(previous), to: displayValue(parsed.value) } }));
    });
    this.version++;
    this.current = { ...this.current, [parsed.key]: parsed.value };
    await this.changes.publish({ kind: "settings" });
    return this.current;
  }

  /**
   * Reads the settings again after a notice. A failed read is retried until one succeeds (or a
   * newer reload supersedes it): an instance must not keep, say, access hashes allowed after
   * another instance turned them off.
   */
  private async reload(): Promise<void> {
    if (this.closed) return;
    const version = ++this.version;
    if (this.retry !== null) clearTimeout(this.retry);
    this.retry = null;
    try {
      const loaded = settingsFrom(await this.store.getSettings());
      if (version === this.version) this.current = loaded;
    } catch (error) {
      if (version !== this.version || this.closed) return;
      this.onError(error);
      this.retry = setTimeout(() => void this.reload(), RELOAD_RETRY_MS);
      this.retry.unref();
    }
  }

  close(): void {
    this.closed = true;
    this.unsubscribe();
    if (this.retry !== null) clearTimeout(this.retry);
    this.retry = null;
  }
}
