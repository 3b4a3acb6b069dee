import type { DirectorySource } from "./storage/directory-source.js";
import type { AccountRecord, ApiTokenRecord, IpAccessHashRecord, SessionRecord, WhmAccessHashRecord } from "./storage/records.js";
import type { Change, ChangeFeed } from "./changes.js";
import { noMetrics, type CacheName, type KeyholdMetrics } from "./metrics.js";

/** Everything that can authenticate one account, indexed for a lookup per request. */
export interface CredentialIndex {
  /** By SHA-512 hex of the plaintext. */
  readonly tokens: ReadonlyMap<string, ApiTokenRecord>;
  readonly whmAccessHash: WhmAccessHashRecord | null;
}

const MAX_ENTRIES = 50_000;

/** A directory answer: the value itself when cached, a promise when it must be loaded. */
export type Cached<V> = V | null | Promise<V | null>;

/**
 * The read side of verification: accounts, their credentials and sessions, cached in memory so
 * a request with a known credential costs a hash and a map lookup. Entries are dropped when the
 * change feed announces a change, which is what makes revocation bite on the next request.
 */
export class Directory {
  private readonly accountsByName = new Map<string, AccountRecord>();
  private readonly accountsById = new Map<string, AccountRecord>();
  private readonly credentialIndexes = new Map<string, CredentialIndex>();
  private readonly sessions = new Map<string, SessionRecord>();
  private readonly ipAccessHashes = new Map<string, IpAccessHashRecord>();
  // Bumped on every change: a load that started before a change must not cache what it read.
  private generation = 0;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly store: DirectorySource,
    private readonly changes: ChangeFeed,
    private readonly metrics: KeyholdMetrics = noMetrics,
  ) {
    this.unsubscribe = changes.subscribe((change) => this.forget(change));
  }

  // Each lookup answers a cached entry as a plain value rather than a promise, so the hot path
  // can skip the await (and its trip through the microtask queue). A miss loads from the store.

  accountByUsername(username: string): Cached<AccountRecord> {
    return this.cached("account", this.accountsByName, username, () => this.store.getAccountByUsername(username), (account) => this.remember(account));
  }

  accountById(id: string): Cached<AccountRecord> {
    return this.cached("account", this.accountsById, id, () => this.store.getAccountById(id), (account) => this.remember(account));
  }

  credentials(accountId: string): CredentialIndex | Promise<CredentialIndex> {
    return (this.cached("credentials", this.credentialIndexes, accountId, async () => {
      const [tokens, whmAccessHash] = await Promise.all([this.store.listApiTokens(accountId), this.store.getAccessHash(accountId)]);
      return { tokens: new Map(tokens.map((token) => [token.digest, token])), whmAccessHash };
    }) as CredentialIndex | Promise<CredentialIndex>);
  }

  ipAccessHash(digest: string): Cached<IpAccessHashRecord> {
    return this.cached("ip_access_hash", this.ipAccessHashes, digest, () => this.store.findIpAccessHashByDigest(digest));
  }

  session(digest: string): Cached<SessionRecord> {
    return this.cached("session", this.sessions, digest, () => this.store.findSessionByDigest(digest));
  }

  /**
   * The cached value, or the loaded one, which is kept unless a change arrived while it loaded
   * (it may predate the change) or changes cannot reach this process now (then every request
   * reads the store). Misses are not kept: they cost memory an attacker controls.
   */
  private cached<K, V>(cache: CacheName, map: Map<K, V>, key: K, load: () => Promise<V | null>, keep: (value: V) => void = (value) => setBounded(map, key, value)): Cached<V> {
    const hit = map.get(key);
    this.metrics.cacheLookup(cache, hit !== undefined);
    if (hit !== undefined) return hit;
    const generation = this.generation;
    return load().then(
      (value) => {
        if (value !== null && generation === this.generation && this.changes.live) keep(value);
        return value;
      },
      (error: unknown) => {
        this.metrics.storeError();
        throw error;
      },
    );
  }

  close(): void {
    this.unsubscribe();
    this.clear();
  }

  private remember(account: AccountRecord): void {
    setBounded(this.accountsByName, account.username, account);
    setBounded(this.accountsById, account.id, account);
  }

  private forget(change: Change): void {
    this.generation++;
    switch (change.kind) {
      case "account": {
        this.accountsByName.delete(change.username);
        this.accountsById.delete(change.accountId);
        this.forgetCredentials(change.accountId);
        for (const [digest, session] of this.sessions) if (session.accountId === change.accountId) this.sessions.delete(digest);
        break;
      }
      case "credentials":
        this.forgetCredentials(change.accountId);
        break;
      case "session":
        this.sessions.delete(change.digest);
        break;
      case "settings":
        break;
      case "resync":
        this.metrics.changeFeedResync();
        this.clear();
        break;
    }
  }

  private forgetCredentials(accountId: string): void {
    this.credentialIndexes.delete(accountId);
    for (const [digest, record] of this.ipAccessHashes) if (record.accountId === accountId) this.ipAccessHashes.delete(digest);
  }

  /** Drops everything, for when changes may have been missed (a lost connection to the feed). */
  clear(): void {
    this.generation++;
    this.accountsByName.clear();
    this.accountsById.clear();
    this.credentialIndexes.clear();
    this.sessions.clear();
    this.ipAccessHashes.clear();
  }
}

function setBounded<K, V>(map: Map<K, V>, key: K, value: V): void {
  map.set(key, value);
  if (map.size > MAX_ENTRIES) map.delete(map.keys().next().value as K);
}
