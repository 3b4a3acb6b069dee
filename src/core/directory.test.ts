import { randomBytes } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { CLI_ACTOR } from "./actor.js";
import { LocalChangeFeed } from "./changes.js";
import { createKeyhold, type Keyhold } from "./keyhold.js";
import { PasswordHasher } from "./password.js";
import { SecretBox } from "./secret-box.js";
import { openSqliteStore } from "../store/sqlite.js";

/** A shared feed whose connection the test cuts and restores. */
class SwitchableFeed extends LocalChangeFeed {
  connected = true;
  override get live(): boolean {
    return this.connected;
  }
}

let keyhold: Keyhold | undefined;
afterEach(async () => keyhold?.close());

async function setUp(): Promise<{ keyhold: Keyhold; feed: SwitchableFeed; token: string; tokenId: string }> {
  const feed = new SwitchableFeed();
  keyhold = await createKeyhold({ store: await openSqliteStore(":memory:"), secretBox: new SecretBox(randomBytes(32)), changes: feed, passwordHasher: new PasswordHasher({ logN: 10, r: 8, p: 1 }) });
  await keyhold.accounts.ensureRoot("root-password-1");
  const created = await keyhold.tokens.create(CLI_ACTOR, "root", { name: "cached" });
  const root = await keyhold.accounts.require("root");
  const [record] = await keyhold.store.listApiTokens(root.id);
  return { keyhold, feed, token: created.token, tokenId: record!.id };
}

async function verifies(k: Keyhold, token: string): Promise<boolean> {
  return (await k.verifier.verify({ scheme: "whm", username: "root", secret: token }, { ip: "127.0.0.1" })).valid;
}

describe("the directory's caches", () => {
  it("serve from memory while the feed is live, so only an announced change is seen", async () => {
    const { keyhold, token, tokenId } = await setUp();
    expect(await verifies(keyhold, token)).toBe(true);
    // Deleted behind the feed's back: the cache, trusting the feed, still holds the token.
    await keyhold.store.deleteApiToken(tokenId);
    expect(await verifies(keyhold, token)).toBe(true);
  });

  it("keep nothing while the feed is not live, so a change it could miss bites at once", async () => {
    const { keyhold, feed, token, tokenId } = await setUp();
    feed.connected = false;
    expect(await verifies(keyhold, token)).toBe(true);
    await keyhold.store.deleteApiToken(tokenId);
    expect(await verifies(keyhold, token)).toBe(false);
  });
});
