import { afterEach, describe, expect, it } from "vitest";
import { CLI_ACTOR } from "../src/core/actor.js";
import { LocalChangeFeed } from "../src/core/changes.js";
import type { Keyhold } from "../src/core/keyhold.js";
import type { Store } from "../src/core/storage/store.js";
import { createTestKeyhold } from "./harness.js";

/** A shared feed whose connection the test cuts and restores. */
class SwitchableFeed extends LocalChangeFeed {
  connected = true;
  override get live(): boolean {
    return this.connected;
  }
}

let keyhold: Keyhold | undefined;
afterEach(async () => keyhold?.close());

async function setUp(): Promise<{ keyhold: Keyhold; store: Store; feed: SwitchableFeed; token: string; tokenId: string }> {
  const feed = new SwitchableFeed();
  // On the system clock, as this suite has always run.
  const started = await createTestKeyhold({ changes: feed, clock: undefined });
  keyhold = started.keyhold;
  const store = started.store;
  const created = await keyhold.tokens.create(CLI_ACTOR, "root", { name: "cached" });
  const root = await keyhold.accounts.require("root");
  const [record] = await store.listApiTokens(root.id);
  return { keyhold, store, feed, token: created.token, tokenId: record!.id };
}

async function verifies(k: Keyhold, token: string): Promise<boolean> {
  return (await k.verifier.verify({ scheme: "whm", username: "root", secret: token }, { ip: "127.0.0.1" })).valid;
}

describe("the directory's caches", () => {
  it("serve from memory while the feed is live, so only an announced change is seen", async () => {
    const { keyhold, store, token, tokenId } = await setUp();
    expect(await verifies(keyhold, token)).toBe(true);
    // Deleted behind the feed's back: the cache, trusting the feed, still holds the token.
    await store.deleteApiToken(tokenId);
    expect(await verifies(keyhold, token)).toBe(true);
  });

  it("keep nothing while the feed is not live, so a change it could miss bites at once", async () => {
    const { keyhold, store, feed, token, tokenId } = await setUp();
    feed.connected = false;
    expect(await verifies(keyhold, token)).toBe(true);
    await store.deleteApiToken(tokenId);
    expect(await verifies(keyhold, token)).toBe(false);
  });
});
