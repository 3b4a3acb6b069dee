import { createHash } from "node:crypto";
import type { AccountRecord, AuditRecord } from "../core/storage/records.js";
import type { Store } from "../core/storage/store.js";

export interface CopyOptions {
  /** Erase a target that already holds data (otherwise it is refused). */
  readonly overwrite?: boolean;
  readonly onProgress?: (done: number, total: number) => void;
}

export interface StoreFingerprint {
  readonly counts: Readonly<Record<string, number>>;
  /** SHA-256 over every record of each table, in id order. */
  readonly digests: Readonly<Record<string, string>>;
}

interface Snapshot {
  readonly accounts: AccountRecord[];
  readonly tables: Readonly<Record<string, unknown[]>>;
  readonly audit: AuditRecord[];
  readonly settings: Map<string, string>;
  readonly keyFingerprint: string | null;
}

const AUDIT_PAGE = 1000;

async function readAll(store: Store): Promise<Snapshot> {
  const accounts = await store.listAccounts();
  const apiTokens = [];
  const accessHashes = [];
  for (const account of accounts) {
    apiTokens.push(...(await store.listApiTokens(account.id)));
    const accessHash = await store.getAccessHash(account.id);
    if (accessHash !== null) accessHashes.push(accessHash);
  }
  const audit: AuditRecord[] = [];
  for (let before: string | undefined; ; ) {
    const page = await store.listAudit({ limit: AUDIT_PAGE, ...(before === undefined ? {} : { before }) });
    audit.push(...page);
    if (page.length < AUDIT_PAGE) break;
    before = page[page.length - 1]!.id;
  }
  return {
    accounts,
    tables: { api_tokens: apiTokens, access_hashes: accessHashes, ip_access_hashes: await store.listIpAccessHashes() },
    audit,
    settings: await store.getSettings(),
    keyFingerprint: await store.getKeyFingerprint(),
  };
}

function digestOf(records: readonly unknown[]): string {
  const lines = records.map((record) => JSON.stringify(record, Object.keys(record as object).sort())).sort();
  return createHash("sha256").update(lines.join("\n")).digest("hex");
}

/** Counts and digests of everything a store holds that `copyStore` copies, to compare two stores. */
export async function fingerprintStore(store: Store): Promise<StoreFingerprint> {
  const snapshot = await readAll(store);
  const tables: Record<string, unknown[]> = {
    accounts: snapshot.accounts,
    ...snapshot.tables,
    audit_log: snapshot.audit,
    settings: [...snapshot.settings].map(([key, value]) => ({ key, value })),
    meta: snapshot.keyFingerprint === null ? [] : [{ key: "key_fingerprint", value: snapshot.keyFingerprint }],
  };
  return {
    counts: Object.fromEntries(Object.entries(tables).map(([name, records]) => [name, records.length])),
    digests: Object.fromEntries(Object.entries(tables).map(([name, records]) => [name, digestOf(records)])),
  };
}

/**
 * Copies a whole store into another in one transaction, keeping every id (access hashes are
 * sealed to their account's id) and every time. Sessions are not copied: users log in again.
 * The key fingerprint goes with the sealed secrets: the copy then accepts only the source's key
 * file, which is the one that decrypts them.
 */
export async function copyStore(from: Store, to: Store, options: CopyOptions = {}): Promise<void> {
  const existing = await to.counts();
  const occupied = Object.values(existing).some((count) => count > 0) || (await to.getSettings()).size > 0 || (await to.getKeyFingerprint()) !== null;
  if (occupied && options.overwrite !== true) {
    throw new Error("The target store is not empty; pass --force to replace what it holds.");
  }
  const snapshot = await readAll(from);
  const tokens = snapshot.tables.api_tokens as Awaited<ReturnType<Store["listApiTokens"]>>;
  const accessHashes = snapshot.tables.access_hashes as NonNullable<Awaited<ReturnType<Store["getAccessHash"]>>>[];
  const ipAccessHashes = snapshot.tables.ip_access_hashes as Awaited<ReturnType<Store["listIpAccessHashes"]>>;
  const total = snapshot.accounts.length + tokens.length + accessHashes.length + ipAccessHashes.length + snapshot.audit.length + snapshot.settings.size + (snapshot.keyFingerprint === null ? 0 : 1);
  let done = 0;
  const step = (): void => options.onProgress?.(++done, total);

  await to.transaction(async (tx) => {
    if (occupied) await tx.eraseAllData();
    if (snapshot.keyFingerprint !== null) {
      await tx.recordKeyFingerprint(snapshot.keyFingerprint);
      step();
    }
    for (const account of snapshot.accounts) {
      await tx.insertAccount({ ...account });
      await tx.updateAccount(account.id, { suspended: account.suspended, updatedAt: account.updatedAt });
      step();
    }
    for (const token of tokens) {
      await tx.insertApiToken(token);
      step();
    }
    for (const accessHash of accessHashes) {
      await tx.putAccessHash(accessHash);
      step();
    }
    for (const record of ipAccessHashes) {
      await tx.insertIpAccessHash(record);
      step();
    }
    for (const [key, value] of snapshot.settings) {
      await tx.putSetting(key, value, Date.now());
      step();
    }
    for (const entry of [...snapshot.audit].reverse()) {
      await tx.appendAudit(entry);
      step();
    }
  });
}
