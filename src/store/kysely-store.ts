import type { ExpressionBuilder, Kysely, Transaction } from "kysely";
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
export class KyselyStore implements Store {
  constructor(
    private readonly db: Kysely<Database> | Transaction<Database>,
    private readonly onClose: () => Promise<void> = async () => {},
  ) {}

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

  async appendAudit(entry: AuditRecord): Promise<void> {
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
      })
      .execute();
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
    return (this.db as Kysely<Database>).transaction().execute((trx) => work(new KyselyStore(trx)));
  }

  async close(): Promise<void> {
    await this.onClose();
  }
}
