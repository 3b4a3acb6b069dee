import { requireRootLevel, type Actor } from "./actor.js";
import { auditRecord } from "./audit.js";
import type { ChangeFeed } from "./changes.js";
import type { Clock } from "./clock.js";
import { parseSettingValue, settingsFrom, type Settings } from "./settings.js";
import type { Store } from "../store/store.js";

/** Settings are read on every request, so they are held in memory and reloaded on change. */
export class SettingsService {
  private constructor(
    private readonly store: Store,
    private readonly changes: ChangeFeed,
    private readonly clock: Clock,
    private current: Settings,
  ) {
    changes.subscribe((change) => {
      if (change.kind === "settings" || change.kind === "resync") void this.reload();
    });
  }

  static async load(store: Store, changes: ChangeFeed, clock: Clock): Promise<SettingsService> {
    return new SettingsService(store, changes, clock, settingsFrom(await store.getSettings()));
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
      await tx.putSetting(parsed.key, String(parsed.value), now);
      await tx.appendAudit(auditRecord(now, actor, "setting.set", parsed.key, { detail: { from: previous, to: parsed.value } }));
    });
    this.current = { ...this.current, [parsed.key]: parsed.value };
    await this.changes.publish({ kind: "settings" });
    return this.current;
  }

  private async reload(): Promise<void> {
    try {
      this.current = settingsFrom(await this.store.getSettings());
    } catch {
      // Keep serving with the settings already held; the next change notice retries.
    }
  }
}
