import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { LocalChangeFeed } from "./changes.js";
import { systemClock } from "./clock.js";
import { SettingsService, type SettingsStore } from "./settings-service.js";
import { settingsFrom } from "./settings.js";

/** Just enough of a store for settings: reads answer with whatever the test hands them. */
function storeAnswering(answers: Array<() => Promise<Map<string, string>>>): SettingsStore {
  return { getSettings: () => answers.shift()!() } as unknown as SettingsStore;
}

function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((done) => (resolve = done));
  return { promise, resolve };
}

const ON = new Map([["allow_deprecated_accesshash", "1"]]);
const OFF = new Map([["allow_deprecated_accesshash", "0"]]);

let service: SettingsService | undefined;
beforeEach(() => vi.useFakeTimers());
afterEach(() => {
  service?.close();
  vi.useRealTimers();
});

describe("settings reloads after a change notice", () => {
  it("keep the newest read when an older one finishes last", async () => {
    const slow = deferred<Map<string, string>>();
    const fast = deferred<Map<string, string>>();
    const feed = new LocalChangeFeed();
    service = await SettingsService.load(storeAnswering([async () => OFF, () => slow.promise, () => fast.promise]), feed, systemClock, () => {});
    await feed.publish({ kind: "settings" });
    await feed.publish({ kind: "settings" });
    fast.resolve(ON);
    await vi.advanceTimersByTimeAsync(0);
    slow.resolve(OFF);
    await vi.advanceTimersByTimeAsync(0);
    expect(service.get().allow_deprecated_accesshash).toBe(1);
  });

  it("retry a failed read until one succeeds, and report the failure", async () => {
    const feed = new LocalChangeFeed();
    const errors: unknown[] = [];
    const down = async (): Promise<Map<string, string>> => Promise.reject(new Error("database unavailable"));
    service = await SettingsService.load(storeAnswering([async () => ON, down, down, async () => OFF]), feed, systemClock, (error) => errors.push(error));
    await feed.publish({ kind: "settings" });
    await vi.advanceTimersByTimeAsync(0);
    expect(service.get().allow_deprecated_accesshash).toBe(1);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(service.get().allow_deprecated_accesshash).toBe(0);
    expect(errors).toHaveLength(2);
  });

  it("stop listening and retrying once closed", async () => {
    const feed = new LocalChangeFeed();
    let reads = 0;
    service = await SettingsService.load(storeAnswering(Array.from({ length: 10 }, () => async () => (reads++, ON))), feed, systemClock, () => {});
    service.close();
    await feed.publish({ kind: "resync" });
    await vi.advanceTimersByTimeAsync(5_000);
    expect(reads).toBe(1);
  });
});

describe("address-list settings (trusted_ips)", () => {
  it("load stored entries, and ignore a stored list with an entry this version cannot read, rather than trust part of it", () => {
    expect(settingsFrom(new Map([["trusted_ips", "10.0.0.0/8,192.0.2.7"]])).trusted_ips).toEqual(["10.0.0.0/8", "192.0.2.7"]);
    expect(settingsFrom(new Map([["trusted_ips", "10.0.0.0/8,bogus"]])).trusted_ips).toEqual([]);
    expect(settingsFrom(new Map()).trusted_ips).toEqual([]);
  });
});
