import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openKeyhold } from "../../src/cli/context.js";
import { resolveStoreLocation, type StoreLocation } from "../../src/config.js";
import { CLI_ACTOR } from "../../src/core/actor.js";
import { createKeyhold } from "../../src/core/keyhold.js";
import { createKeyFile, keyFingerprint, loadOrCreateKeyFile, readKeyFile, SecretBox } from "../../src/core/secret-box.js";
import { copyStore } from "../../src/store/copy.js";
import { openSqliteStore } from "../../src/store/sqlite.js";
import { TEST_PASSWORD_HASHER } from "../harness.js";
import { serveRefusal, startServer } from "../server-process.js";

// The attack (or the accident): the key file is deleted, or --key-file names the wrong file.
// Keyhold used to write a new key and start, and every access hash then failed. It must refuse
// to start, naming the file, whenever the store holds anything sealed with a key.

let dir: string;
let location: StoreLocation;
const storeFile = (): string => join(dir, "data", "keyhold.sqlite");

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "keyhold-keyfile-"));
  location = resolveStoreLocation({ dataDir: join(dir, "data") }, {});
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A store as `serve` leaves it: made with its key, holding root's access hash. */
async function storeWithAccessHash(): Promise<string> {
  const keyhold = await openKeyhold(location, { create: true });
  try {
    await keyhold.accounts.ensureRoot("root-password-1");
    return (await keyhold.accessHashes.generate(CLI_ACTOR, "root")).accesshash;
  } finally {
    await keyhold.close();
  }
}

async function recordedFingerprint(): Promise<string | null> {
  const store = await openSqliteStore(storeFile(), { create: false });
  try {
    return await store.getKeyFingerprint();
  } finally {
    await store.close();
  }
}

describe("a lost or wrong key file stops the start instead of being replaced", { timeout: 30_000 }, () => {
  it("serve refuses to start when the key file was deleted, names it, and writes no new key", async () => {
    await storeWithAccessHash();
    unlinkSync(location.keyFile);
    const run = await serveRefusal(["--data-dir", location.dataDir, "--log-level", "error"], { KEYHOLD_ROOT_PASSWORD: "root-password-1" });
    expect(run.refused).toBe(true);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(location.keyFile);
    expect(run.stderr).toMatch(/does not exist.*Restore the key file.*--key-file/);
    expect(existsSync(location.keyFile)).toBe(false);
  });

  it("serve refuses a typo in --key-file, and does not create the misspelt file", async () => {
    await storeWithAccessHash();
    const typo = join(location.dataDir, "keyhold.kye");
    const run = await serveRefusal(["--data-dir", location.dataDir, "--key-file", typo, "--log-level", "error"]);
    expect(run.refused).toBe(true);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(typo);
    expect(existsSync(typo)).toBe(false);
  });

  it("refuses another valid key file: its fingerprint is not the store's", async () => {
    const accesshash = await storeWithAccessHash();
    const other = join(dir, "other.key");
    createKeyFile(other);
    await expect(openKeyhold({ ...location, keyFile: other }, { create: true })).rejects.toThrow(/other\.key is not the key of the store sqlite:.*keyhold\.sqlite.*--key-file/);
    // The right key still opens it, and the hash reads back.
    const keyhold = await openKeyhold(location, { create: true });
    try {
      expect((await keyhold.accessHashes.read(CLI_ACTOR, "root")).accesshash).toBe(accesshash);
    } finally {
      await keyhold.close();
    }
  });

  it("refuses a missing key even before any secret is sealed, once the store recorded a fingerprint", async () => {
    await (await openKeyhold(location, { create: true })).close();
    expect(await recordedFingerprint()).toMatch(/^[0-9a-f]{64}$/);
    unlinkSync(location.keyFile);
    await expect(openKeyhold(location, { create: true })).rejects.toThrow(/keyhold\.key does not exist/);
    expect(existsSync(location.keyFile)).toBe(false);
  });

  it("records the fingerprint of a new store's key, never the key itself", async () => {
    await (await openKeyhold(location, { create: true })).close();
    const key = readKeyFile(location.keyFile);
    expect(await recordedFingerprint()).toBe(keyFingerprint(key));
    const database = readFileSync(storeFile());
    for (const form of [key.toString("base64"), key.toString("hex")]) expect(database.includes(Buffer.from(form, "latin1"))).toBe(false);
    expect(database.includes(key)).toBe(false);
  });

  it("lets only one of two keys bind a new store when two servers start on it at once", async () => {
    const args = (key: string): string[] => ["--data-dir", location.dataDir, "--key-file", join(dir, key), "--log-level", "error"];
    const env = { KEYHOLD_ROOT_PASSWORD: "root-password-1" };
    const outcomes = await Promise.allSettled([startServer(args("a.key"), env), startServer(args("b.key"), env)]);
    const started = outcomes.filter((outcome) => outcome.status === "fulfilled");
    const refused = outcomes.filter((outcome) => outcome.status === "rejected");
    for (const outcome of started) await outcome.value.stop();
    expect(started).toHaveLength(1);
    expect(refused).toHaveLength(1);
    // The loser finds either the winner's fingerprint or, if it looked first, a key of its own that lost.
    expect(String(refused[0]!.reason)).toMatch(/[ab]\.key (is not the key of the store|does not exist, but the store .* is bound to a key)/);
  });
});

describe("a store made before fingerprints existed", () => {
  /** As an older Keyhold left it: an access hash sealed with the key, and no fingerprint. */
  async function legacyStore(): Promise<string> {
    mkdirSync(location.dataDir, { recursive: true });
    const keyhold = await createKeyhold({ store: await openSqliteStore(storeFile()), secretBox: new SecretBox(loadOrCreateKeyFile(location.keyFile).key), passwordHasher: TEST_PASSWORD_HASHER });
    try {
      await keyhold.accounts.ensureRoot("root-password-1");
      await keyhold.accounts.create(CLI_ACTOR, { username: "bob", password: "bob-password-1", domain: "bob.example.com", reseller: true });
      return (await keyhold.accessHashes.generate(CLI_ACTOR, "bob")).accesshash;
    } finally {
      await keyhold.close();
    }
  }

  it("refuses a key that does not decrypt its access hashes, and records nothing", async () => {
    await legacyStore();
    const other = join(dir, "other.key");
    createKeyFile(other);
    await expect(openKeyhold({ ...location, keyFile: other }, { create: true })).rejects.toThrow(/other\.key does not decrypt the access hashes/);
    expect(await recordedFingerprint()).toBeNull();
    unlinkSync(location.keyFile);
    await expect(openKeyhold(location, { create: true })).rejects.toThrow(/does not exist, but the store .* is bound to a key \(it holds access hashes sealed with it\)/);
    expect(existsSync(location.keyFile)).toBe(false);
  });

  it("accepts its own key and records that key's fingerprint", async () => {
    const accesshash = await legacyStore();
    const keyhold = await openKeyhold(location, { create: false });
    try {
      expect((await keyhold.accessHashes.read(CLI_ACTOR, "bob")).accesshash).toBe(accesshash);
    } finally {
      await keyhold.close();
    }
    expect(await recordedFingerprint()).toBe(keyFingerprint(readKeyFile(location.keyFile)));
  });
});

describe("a copied store accepts only the key of its source", () => {
  it("carries the fingerprint, so the copy refuses a new key", async () => {
    await storeWithAccessHash();
    const target = join(dir, "copy", "keyhold.sqlite");
    const [from, to] = [await openSqliteStore(storeFile()), await openSqliteStore(target)];
    try {
      await copyStore(from, to);
      expect(await to.getKeyFingerprint()).toBe(await from.getKeyFingerprint());
    } finally {
      await from.close();
      await to.close();
    }
    const copy = resolveStoreLocation({ dataDir: join(dir, "copy") }, {});
    await expect(openKeyhold(copy, { create: true })).rejects.toThrow(/keyhold\.key does not exist/);
    await (await openKeyhold({ ...copy, keyFile: location.keyFile })).close();
  });
});

describe("every start-up error about the key file names the file", () => {
  it("a directory, a malformed file and a file others can read", async () => {
    await (await openKeyhold(location, { create: true })).close();
    const key = readFileSync(location.keyFile);
    unlinkSync(location.keyFile);

    mkdirSync(location.keyFile);
    await expect(openKeyhold(location)).rejects.toThrow(`Cannot use the key file ${location.keyFile}: it is a directory`);
    rmSync(location.keyFile, { recursive: true });

    writeFileSync(location.keyFile, "keyhold-key-v1\nnot base64 of 32 bytes\n", { mode: 0o600 });
    await expect(openKeyhold(location)).rejects.toThrow(`The key file ${location.keyFile} is not a Keyhold key file (malformed`);

    writeFileSync(location.keyFile, key, { mode: 0o600 });
    chmodSync(location.keyFile, 0o644);
    await expect(openKeyhold(location)).rejects.toThrow(`The key file ${location.keyFile} is readable by other users`);
    chmodSync(location.keyFile, 0o600);
    await (await openKeyhold(location)).close();
  });
});
