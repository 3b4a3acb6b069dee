import { sql, type ExpressionBuilder, type Kysely, type Transaction } from "kysely";
import { GENESIS_HASH, type AuditChainHasher, type AuditCheckpoint, type ChainedAuditRecord } from "../core/audit-chain.js";
import type { AuditListener } from "../core/storage/audit-source.js";
import type { Database } from "./schema.js";
import { accountFromRow, apiTokenFromRow, auditFromRow, ipAccessHashFromRow, listToJson, sessionFromRow, whmAccessHashFromRow } from "./rows.js";
import type {
  AccountFilter,
  AccountPatch,
  AccountRecord,
  ApiTokenPatch,
  ApiTokenRecord,
  AuditFilter,
  AuditRecord,
  IpAccessHashPatch,
  IpAccessHashRecord,
  NewAccount,
  SessionRecord,
  StoreCounts,
  UsageUpdate,
  WhmAccessHashRecord,
} from "../core/storage/records.js";
import { DuplicateRecordError } from "../core/storage/errors.js";
import type { Store } from "../core/storage/store.js";

const KEY_FINGERPRINT = "key_fingerprint";
const AUDIT_CHECKPOINT = "audit_checkpoint";
const AUDIT_CHAIN_SEALED = "audit_chain_sealed";

function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  // SQLite (better-sqlite3) and PostgreSQL (SQLSTATE 23505) name the same failure differently.
  return code === "SQLITE_CONSTRAINT_UNIQUE" || code === "SQLITE_CONSTRAINT_PRIMARYKEY" || code === "23505";
}

async function rejectingDuplicates<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (error) {
    if (isUniqueViolation(error)) throw new DuplicateRecordError("A record with the same unique value already exists.", { cause: error });
    throw error;
  }
}

/**
 * The store over Kysely. Kysely writes each dialect's SQL, so SQLite and PostgreSQL share this
 * one implementation; what differs between them (drivers, pragmas, error codes) lives in
 * `sqlite.ts` and `postgres.ts`.
 */
/** What a store and the transaction handles it gives out share about the audit chain. */
interface AuditChainState {
  hasher: AuditChainHasher | null;
  readonly listeners: AuditListener[];
  /** PostgreSQL: appends take an advisory lock, since instances on other hosts share the chain. */
  readonly postgres: boolean;
}

type AppendedEntry = Parameters<AuditListener>[0];

export interface KyselyStoreOptions {
  readonly postgres?: boolean;
}

export class KyselyStore implements Store {
  private readonly chain: AuditChainState;

  constructor(
    private readonly db: Kysely<Database> | Transaction<Database>,
    private readonly onClose: () => Promise<void> = async () => {},
    options: KyselyStoreOptions | AuditChainState = {},
    /** Entries this transaction appended, handed to the listeners after it commits. */
    private readonly appended: AppendedEntry[] = [],
  ) {
    this.chain = "listeners" in options ? options : { hasher: null, listeners: [], postgres: options.postgres === true };
  }

  async insertAccount(account: NewAccount): Promise<void> {
    await rejectingDuplicates(this.db
      .insertInto("accounts")
      .values({
        id: account.id,
        username: account.username,
        role: account.role,
        owner: account.owner,
        domain: account.domain,
        password_hash: account.passwordHash,
        acls: JSON.stringify(account.acls),
        suspended: 0,
        created_at: account.createdAt,
        updated_at: account.createdAt,
      })
      .execute());
  }

  async getAccountByUsername(username: string): Promise<AccountRecord | null> {
    const row = await this.db.selectFrom("accounts").selectAll().where("username", "=", username).executeTakeFirst();
    return row === undefined ? null : accountFromRow(row);
  }

  async getAccountById(id: string): Promise<AccountRecord | null> {
    const row = await this.db.selectFrom("accounts").selectAll().where("id", "=", id).executeTakeFirst();
    return row === undefined ? null : accountFromRow(row);
  }

  async listAccounts(filter: AccountFilter = {}): Promise<AccountRecord[]> {
    let query = this.db.selectFrom("accounts").selectAll().orderBy("username");
    if (filter.owner !== undefined) query = query.where("owner", "=", filter.owner);
    if (filter.role !== undefined) query = query.where("role", "=", filter.role);
    return (await query.execute()).map(accountFromRow);
  }

  async updateAccount(id: string, patch: AccountPatch): Promise<void> {
    await this.db
      .updateTable("accounts")
      .set({
        ...(patch.role === undefined ? {} : { role: patch.role }),
        ...(patch.owner === undefined ? {} : { owner: patch.owner }),
        ...(patch.acls === undefined ? {} : { acls: JSON.stringify(patch.acls) }),
        ...(patch.passwordHash === undefined ? {} : { password_hash: patch.passwordHash }),
        ...(patch.suspended === undefined ? {} : { suspended: patch.suspended ? 1 : 0 }),
        updated_at: patch.updatedAt,
      })
      .where("id", "=", id)
      .execute();
  }

  async deleteAccount(id: string, newOwner: string): Promise<void> {
    const account = await this.db.selectFrom("accounts").select("username").where("id", "=", id).executeTakeFirst();
    if (account === undefined) return;
    await this.db.updateTable("accounts").set({ owner: newOwner }).where("owner", "=", account.username).where("id", "!=", id).execute();
    // Explicit deletes rather than relying on ON DELETE CASCADE alone: the contract must not
    // depend on a connection pragma being set.
    await this.db.deleteFrom("api_tokens").where("account_id", "=", id).execute();
    await this.db.deleteFrom("access_hashes").where("account_id", "=", id).execute();
    await this.db.deleteFrom("ip_access_hashes").where("account_id", "=", id).execute();
    await this.db.deleteFrom("sessions").where("account_id", "=", id).execute();
    await this.db.deleteFrom("accounts").where("id", "=", id).execute();
  }

  async putAccessHash(record: WhmAccessHashRecord): Promise<void> {
    await rejectingDuplicates(this.db
      .insertInto("access_hashes")
      .values({
        account_id: record.accountId,
        digest: record.digest,
        sealed: record.sealed,
        created_at: record.createdAt,
        last_used_at: record.lastUsedAt,
        last_used_ip: record.lastUsedIp,
      })
      .onConflict((oc) =>
        oc.column("account_id").doUpdateSet({
          digest: record.digest,
          sealed: record.sealed,
          created_at: record.createdAt,
          last_used_at: record.lastUsedAt,
          last_used_ip: record.lastUsedIp,
        }),
      )
      .execute());
  }

  async getAccessHash(accountId: string): Promise<WhmAccessHashRecord | null> {
    const row = await this.db.selectFrom("access_hashes").selectAll().where("account_id", "=", accountId).executeTakeFirst();
    return row === undefined ? null : whmAccessHashFromRow(row);
  }


  async insertApiToken(token: ApiTokenRecord): Promise<void> {
    await rejectingDuplicates(this.db
      .insertInto("api_tokens")
      .values({
        id: token.id,
        account_id: token.accountId,
        name: token.name,
        digest: token.digest,
        acls: listToJson(token.acls),
        whitelist_ips: listToJson(token.whitelistIps),
        expires_at: token.expiresAt,
        created_at: token.createdAt,
        last_used_at: token.lastUsedAt,
        last_used_ip: token.lastUsedIp,
        origin: token.origin,
      })
      .execute());
  }

  async listApiTokens(accountId: string): Promise<ApiTokenRecord[]> {
    const rows = await this.db.selectFrom("api_tokens").selectAll().where("account_id", "=", accountId).orderBy("name").execute();
    return rows.map(apiTokenFromRow);
  }

  async getApiTokenByName(accountId: string, name: string): Promise<ApiTokenRecord | null> {
    const row = await this.db
      .selectFrom("api_tokens")
      .selectAll()
      .where("account_id", "=", accountId)
      .where("name", "=", name)
      .executeTakeFirst();
    return row === undefined ? null : apiTokenFromRow(row);
  }

  async findApiTokenByDigest(accountId: string, digest: string): Promise<ApiTokenRecord | null> {
    const row = await this.db
      .selectFrom("api_tokens")
      .selectAll()
      .where("account_id", "=", accountId)
      .where("digest", "=", digest)
      .executeTakeFirst();
    return row === undefined ? null : apiTokenFromRow(row);
  }

  async updateApiToken(id: string, patch: ApiTokenPatch): Promise<void> {
    const values = {
      ...(patch.name === undefined ? {} : { name: patch.name }),
      ...(patch.acls === undefined ? {} : { acls: listToJson(patch.acls) }),
      ...(patch.whitelistIps === undefined ? {} : { whitelist_ips: listToJson(patch.whitelistIps) }),
      ...(patch.expiresAt === undefined ? {} : { expires_at: patch.expiresAt }),
    };
    if (Object.keys(values).length === 0) return;
    await rejectingDuplicates(this.db.updateTable("api_tokens").set(values).where("id", "=", id).execute());
  }

  async deleteApiToken(id: string): Promise<void> {
    await this.db.deleteFrom("api_tokens").where("id", "=", id).execute();
  }

  async insertIpAccessHash(record: IpAccessHashRecord): Promise<void> {
    await rejectingDuplicates(
      this.db
        .insertInto("ip_access_hashes")
        .values({
          id: record.id,
          account_id: record.accountId,
          name: record.name,
          ip: record.ip,
          digest: record.digest,
          prefix: record.prefix,
          created_at: record.createdAt,
          expires_at: record.expiresAt,
          last_used_at: record.lastUsedAt,
          last_used_ip: record.lastUsedIp,
        })
        .execute(),
    );
  }

  async listIpAccessHashes(accountIds?: readonly string[]): Promise<IpAccessHashRecord[]> {
    if (accountIds !== undefined && accountIds.length === 0) return [];
    let query = this.db.selectFrom("ip_access_hashes").selectAll().orderBy("id", "desc");
    if (accountIds !== undefined) query = query.where("account_id", "in", [...accountIds]);
    return (await query.execute()).map(ipAccessHashFromRow);
  }

  async getIpAccessHash(id: string): Promise<IpAccessHashRecord | null> {
    const row = await this.db.selectFrom("ip_access_hashes").selectAll().where("id", "=", id).executeTakeFirst();
    return row === undefined ? null : ipAccessHashFromRow(row);
  }

  async findIpAccessHashByDigest(digest: string): Promise<IpAccessHashRecord | null> {
    const row = await this.db.selectFrom("ip_access_hashes").selectAll().where("digest", "=", digest).executeTakeFirst();
    return row === undefined ? null : ipAccessHashFromRow(row);
  }

  async updateIpAccessHash(id: string, patch: IpAccessHashPatch): Promise<void> {
    const values = {
      ...(patch.name === undefined ? {} : { name: patch.name }),
      ...(patch.ip === undefined ? {} : { ip: patch.ip }),
      ...(patch.expiresAt === undefined ? {} : { expires_at: patch.expiresAt }),
    };
    if (Object.keys(values).length === 0) return;
    await this.db.updateTable("ip_access_hashes").set(values).where("id", "=", id).execute();
  }

  async deleteIpAccessHash(id: string): Promise<void> {
    await this.db.deleteFrom("ip_access_hashes").where("id", "=", id).execute();
  }

  async insertSession(session: SessionRecord): Promise<void> {
    await this.db
      .insertInto("sessions")
      .values({
        id: session.id,
        digest: session.digest,
        account_id: session.accountId,
        security_token: session.securityToken,
        created_at: session.createdAt,
        expires_at: session.expiresAt,
        ip: session.ip,
      })
      .execute();
  }

  async findSessionByDigest(digest: string): Promise<SessionRecord | null> {
    const row = await this.db.selectFrom("sessions").selectAll().where("digest", "=", digest).executeTakeFirst();
    return row === undefined ? null : sessionFromRow(row);
  }

  async deleteSession(id: string): Promise<void> {
    await this.db.deleteFrom("sessions").where("id", "=", id).execute();
  }

  async deleteAccountSessions(accountId: string): Promise<void> {
    await this.db.deleteFrom("sessions").where("account_id", "=", accountId).execute();
  }

  async deleteExpiredSessions(now: number): Promise<number> {
    const result = await this.db.deleteFrom("sessions").where("expires_at", "<=", now).executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  async getSettings(): Promise<Map<string, string>> {
    const rows = await this.db.selectFrom("settings").select(["key", "value"]).execute();
    return new Map(rows.map((row) => [row.key, row.value]));
  }

  async putSetting(key: string, value: string, now: number): Promise<void> {
    await this.db
      .insertInto("settings")
      .values({ key, value, updated_at: now })
      .onConflict((oc) => oc.column("key").doUpdateSet({ value, updated_at: now }))
      .execute();
  }

  /**
   * Appends at the head of the chain. The head is read and the row written in one transaction
   * that holds the chain's lock (PostgreSQL: an advisory lock per schema; SQLite: the write
   * lock), and `seq` is unique, so two writers never fork the chain: one waits, or fails.
   */
  async appendAudit(entry: AuditRecord): Promise<void> {
    if (!this.db.isTransaction) {
      await this.transaction((tx) => tx.appendAudit(entry));
      return;
    }
    await this.lockAuditChain();
    const head = await this.auditHead();
    const seq = head === undefined ? 1 : Number(head.seq) + 1;
    const hasher = this.chain.hasher;
    // Without the key (or after an unsealed entry) the row waits, unsealed, for the next start with the key.
    const prevHash = hasher === null ? null : head === undefined ? GENESIS_HASH : head.hash;
    const hash = hasher === null || prevHash === null ? null : hasher.hash(entry, prevHash);
    await this.db
      .insertInto("audit_log")
      .values({
        id: entry.id,
        at: entry.at,
        actor: entry.actor,
        ip: entry.ip,
        action: entry.action,
        target: entry.target,
        outcome: entry.outcome,
        detail: JSON.stringify(entry.detail),
        seq,
        prev_hash: prevHash,
        hash,
      })
      .execute();
    this.appended.push({ ...entry, seq, hash });
  }

  private async lockAuditChain(): Promise<void> {
    if (this.chain.postgres) await sql`SELECT pg_advisory_xact_lock(hashtext(current_schema() || '.keyhold_audit_chain'))`.execute(this.db);
  }

  private async auditHead(): Promise<{ seq: number | string; hash: string | null } | undefined> {
    const row = await this.db.selectFrom("audit_log").select(["seq", "hash"]).where("seq", "is not", null).orderBy("seq", "desc").limit(1).executeTakeFirst();
    return row === undefined || row.seq === null ? undefined : { seq: row.seq, hash: row.hash };
  }

  async useAuditChain(hasher: AuditChainHasher): Promise<void> {
    this.chain.hasher = hasher;
    await this.sealAuditTail();
  }

  /** Seals the unsealed entries at the end of the chain (see AuditChainControl.useAuditChain). */
  private async sealAuditTail(): Promise<void> {
    const hasher = this.chain.hasher;
    if (hasher === null) return;
    await this.transaction(async (store) => {
      const tx = store as KyselyStore;
      const trx = tx.db;
      await tx.lockAuditChain();
      // Sealing is for entries written before the chain existed (migration 004) or copied in by
      // migrate-store, once per store. Ever after, every writer holds the key, so an unsealed
      // entry is one somebody wrote or cleared by hand: it must stay unsealed for verify to report
      // it, not be given a valid hash at the next start.
      const alreadySealed = await trx.selectFrom("meta").select("value").where("key", "=", AUDIT_CHAIN_SEALED).executeTakeFirst();
      if (alreadySealed !== undefined) return;
      await trx.insertInto("meta").values({ key: AUDIT_CHAIN_SEALED, value: String(Date.now()) }).execute();
      const sealed = await trx.selectFrom("audit_log").select(["seq", "hash"]).where("hash", "is not", null).orderBy("seq", "desc").limit(1).executeTakeFirst();
      let prevHash = sealed?.hash ?? GENESIS_HASH;
      let query = trx.selectFrom("audit_log").selectAll().where("hash", "is", null).where("seq", "is not", null).orderBy("seq");
      if (sealed?.seq !== undefined && sealed.seq !== null) query = query.where("seq", ">", sealed.seq);
      for (const row of await query.execute()) {
        const hash = hasher.hash(auditFromRow(row), prevHash);
        await trx.updateTable("audit_log").set({ prev_hash: prevHash, hash }).where("id", "=", row.id).execute();
        prevHash = hash;
      }
    });
  }

  async getAuditCheckpoint(): Promise<AuditCheckpoint | null> {
    const row = await this.db.selectFrom("meta").select("value").where("key", "=", AUDIT_CHECKPOINT).executeTakeFirst();
    return row === undefined ? null : (JSON.parse(row.value) as AuditCheckpoint);
  }

  async pruneAuditBefore(cutoff: number): Promise<number> {
    const hasher = this.chain.hasher;
    if (hasher === null) throw new Error("Pruning the audit log needs the key file (the checkpoint is signed with it).");
    return this.transaction(async (store) => {
      const tx = store as KyselyStore;
      const trx = tx.db;
      await tx.lockAuditChain();
      const head = await tx.auditHead();
      if (head === undefined) return 0;
      // The chain is cut before its first entry that is recent (or unsealed), and never after its head.
      const kept = await trx
        .selectFrom("audit_log")
        .select("seq")
        .where("seq", "is not", null)
        .where((eb) => eb.or([eb("at", ">=", cutoff), eb("hash", "is", null)]))
        .orderBy("seq")
        .limit(1)
        .executeTakeFirst();
      const lastRemoved = Math.min(kept?.seq === undefined || kept.seq === null ? Number(head.seq) : Number(kept.seq), Number(head.seq)) - 1;
      const previous = await tx.getAuditCheckpoint();
      if (lastRemoved <= (previous?.seq ?? 0)) return 0;
      const last = await trx.selectFrom("audit_log").select(["hash", "at"]).where("seq", "=", lastRemoved).executeTakeFirst();
      if (last === undefined || last.hash === null) return 0;
      const unsigned = { seq: lastRemoved, hash: last.hash, at: Number(last.at) };
      const checkpoint: AuditCheckpoint = { ...unsigned, sig: hasher.signCheckpoint(unsigned) };
      await trx
        .insertInto("meta")
        .values({ key: AUDIT_CHECKPOINT, value: JSON.stringify(checkpoint) })
        .onConflict((oc) => oc.column("key").doUpdateSet({ value: JSON.stringify(checkpoint) }))
        .execute();
      const result = await trx.deleteFrom("audit_log").where("seq", "<=", lastRemoved).executeTakeFirst();
      return Number(result.numDeletedRows);
    });
  }

  onAuditAppended(listener: AuditListener): void {
    this.chain.listeners.push(listener);
  }

  async listAuditChain(afterSeq: number, limit: number): Promise<ChainedAuditRecord[]> {
    const rows = await this.db.selectFrom("audit_log").selectAll().where("seq", ">", afterSeq).orderBy("seq").limit(limit).execute();
    return rows.map((row) => ({ ...auditFromRow(row), seq: Number(row.seq), prevHash: row.prev_hash, hash: row.hash }));
  }

  async countAudit(): Promise<number> {
    const row = await this.db.selectFrom("audit_log").select((eb) => eb.fn.countAll<number | string>().as("n")).executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async listAudit(filter: AuditFilter): Promise<AuditRecord[]> {
    let query = this.db.selectFrom("audit_log").selectAll().orderBy("id", "desc").limit(filter.limit);
    if (filter.actor !== undefined) query = query.where("actor", "=", filter.actor);
    if (filter.action !== undefined) query = query.where("action", "=", filter.action);
    if (filter.target !== undefined) query = query.where("target", "=", filter.target);
    if (filter.since !== undefined) query = query.where("at", ">=", filter.since);
    if (filter.until !== undefined) query = query.where("at", "<", filter.until);
    if (filter.before !== undefined) query = query.where("id", "<", filter.before);
    return (await query.execute()).map(auditFromRow);
  }

  async recordUsage(updates: readonly UsageUpdate[]): Promise<void> {
    for (const update of updates) {
      // Last use only moves forward: another instance may already have written a later one.
      const isLater = (eb: ExpressionBuilder<Database, "access_hashes" | "ip_access_hashes" | "api_tokens">) =>
        eb.or([eb("last_used_at", "is", null), eb("last_used_at", "<", update.at)]);
      if (update.kind === "accesshash") {
        await this.db
          .updateTable("access_hashes")
          .set({ last_used_at: update.at, last_used_ip: update.ip })
          .where("account_id", "=", update.id)
          // A use from before the hash was made belongs to the hash it replaced.
          .where("created_at", "<=", update.at)
          .where(isLater)
          .execute();
      } else {
        await this.db
          .updateTable(update.kind === "ip-access-hash" ? "ip_access_hashes" : "api_tokens")
          .set({ last_used_at: update.at, last_used_ip: update.ip })
          .where("id", "=", update.id)
          .where(isLater)
          .execute();
      }
    }
  }

  async getKeyFingerprint(): Promise<string | null> {
    const row = await this.db.selectFrom("meta").select("value").where("key", "=", KEY_FINGERPRINT).executeTakeFirst();
    return row?.value ?? null;
  }

  async recordKeyFingerprint(fingerprint: string): Promise<string> {
    await this.db
      .insertInto("meta")
      .values({ key: KEY_FINGERPRINT, value: fingerprint })
      .onConflict((oc) => oc.column("key").doNothing())
      .execute();
    const recorded = await this.getKeyFingerprint();
    if (recorded === null) throw new Error("The key fingerprint was not recorded.");
    return recorded;
  }

  async counts(): Promise<StoreCounts> {
    const [accounts, resellers, apiTokens, accessHashes, ipAccessHashes] = await Promise.all([
      this.count("accounts"),
      this.db.selectFrom("accounts").select((eb) => eb.fn.countAll<number | string>().as("n")).where("role", "=", "reseller").executeTakeFirstOrThrow(),
      this.count("api_tokens"),
      this.count("access_hashes"),
      this.count("ip_access_hashes"),
    ]);
    return { accounts, resellers: Number(resellers.n), apiTokens, accessHashes, ipAccessHashes };
  }

  private async count(table: "accounts" | "api_tokens" | "access_hashes" | "ip_access_hashes"): Promise<number> {
    const row = await this.db.selectFrom(table).select((eb) => eb.fn.countAll<number | string>().as("n")).executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async eraseAllData(): Promise<void> {
    for (const table of ["meta", "audit_log", "settings", "sessions", "ip_access_hashes", "api_tokens", "access_hashes", "accounts"] as const) {
      await this.db.deleteFrom(table).execute();
    }
  }

  async transaction<T>(work: (store: Store) => Promise<T>): Promise<T> {
    if (this.db.isTransaction) return work(this);
    const appended: AppendedEntry[] = [];
    const result = await (this.db as Kysely<Database>).transaction().execute((trx) => work(new KyselyStore(trx, this.onClose, this.chain, appended)));
    // After commit only: a rolled-back entry never leaves the host.
    for (const entry of appended) {
      for (const listener of this.chain.listeners) listener(entry);
    }
    return result;
  }

  async close(): Promise<void> {
    await this.onClose();
  }
}
