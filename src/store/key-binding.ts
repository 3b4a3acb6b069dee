import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { createKeyFile, keyFingerprint, KeyFileError, readKeyFile, SecretBox } from "../core/secret-box.js";
import type { Store } from "../core/storage/store.js";

export interface KeyBindingOptions {
  /** Write a new key file when there is none and the store holds nothing a key sealed (`serve` only). */
  readonly mayCreate: boolean;
  /** The store as errors name it (see describeStore). */
  readonly storeName: string;
}

const WHAT_TO_DO = "Restore the key file from your backup, or pass the right one with --key-file (env KEYHOLD_KEY_FILE).";

/**
 * Opens the key file for a store and makes sure it is the store's key, recording its
 * fingerprint on first use. Every way of opening Keyhold goes through here, so a lost key file
 * or a typo in --key-file stops the start instead of silently creating a key under which every
 * access hash fails. A new key is made only where nothing could be lost: no fingerprint
 * recorded and no sealed secret stored.
 */
export async function bindKeyFile(store: Store, keyFile: string, options: KeyBindingOptions): Promise<SecretBox> {
  const path = resolve(keyFile);
  const recorded = await store.getKeyFingerprint();
  // A store made before fingerprints existed: one sealed secret tells whether the key is its own.
  const sealed = recorded === null ? await findSealedSecret(store) : null;
  if (!existsSync(path)) {
    if (recorded !== null || sealed !== null) {
      throw new KeyFileError(`The key file ${path} does not exist, but the store ${options.storeName} is bound to a key (${recorded !== null ? "it recorded the key's fingerprint" : "it holds access hashes sealed with it"}). ${WHAT_TO_DO} Keyhold creates a new key only for a new, empty store.`);
    }
    if (!options.mayCreate) {
      throw new KeyFileError(`The key file ${path} does not exist. Pass the store's key file with --key-file (env KEYHOLD_KEY_FILE); \`keyhold serve\` creates one for a new store.`);
    }
    createKeyFile(path);
  }
  const key = readKeyFile(path);
  const box = new SecretBox(key);
  const fingerprint = keyFingerprint(key);
  if (recorded === null && sealed !== null && box.open(sealed.sealed, sealed.accountId) === null) {
    throw new KeyFileError(`The key file ${path} does not decrypt the access hashes of the store ${options.storeName}: it is another key. ${WHAT_TO_DO}`);
  }
  // Recording returns the fingerprint that won: another process may have bound another key meanwhile.
  const bound = recorded ?? (await store.recordKeyFingerprint(fingerprint));
  if (bound !== fingerprint) {
    throw new KeyFileError(`The key file ${path} is not the key of the store ${options.storeName} (its fingerprint differs from the one the store recorded). ${WHAT_TO_DO}`);
  }
  return box;
}

async function findSealedSecret(store: Store): Promise<{ accountId: string; sealed: string } | null> {
  if ((await store.counts()).accessHashes === 0) return null;
  // Root is the likeliest holder; otherwise look through every account, once per old store.
  const root = await store.getAccountByUsername("root");
  const accounts = [...(root === null ? [] : [root]), ...(await store.listAccounts()).filter((account) => account.username !== "root")];
  for (const account of accounts) {
    const record = await store.getAccessHash(account.id);
    if (record !== null) return { accountId: record.accountId, sealed: record.sealed };
  }
  return null;
}
