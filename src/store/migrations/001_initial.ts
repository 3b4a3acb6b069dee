import type { Kysely, Migration } from "kysely";

export const initial: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable("accounts")
      .addColumn("id", "text", (col) => col.primaryKey())
      .addColumn("username", "text", (col) => col.notNull().unique())
      .addColumn("role", "text", (col) => col.notNull())
      .addColumn("owner", "text", (col) => col.notNull())
      .addColumn("domain", "text", (col) => col.unique())
      .addColumn("password_hash", "text")
      .addColumn("acls", "text", (col) => col.notNull())
      .addColumn("suspended", "integer", (col) => col.notNull().defaultTo(0))
      .addColumn("created_at", "bigint", (col) => col.notNull())
      .addColumn("updated_at", "bigint", (col) => col.notNull())
      .execute();
    await db.schema.createIndex("accounts_owner").on("accounts").column("owner").execute();

    await db.schema
      .createTable("access_hashes")
      .addColumn("account_id", "text", (col) => col.primaryKey().references("accounts.id").onDelete("cascade"))
      .addColumn("digest", "text", (col) => col.notNull().unique())
      .addColumn("sealed", "text", (col) => col.notNull())
      .addColumn("created_at", "bigint", (col) => col.notNull())
      .addColumn("last_used_at", "bigint")
      .addColumn("last_used_ip", "text")
      .execute();

    await db.schema
      .createTable("api_tokens")
      .addColumn("id", "text", (col) => col.primaryKey())
      .addColumn("account_id", "text", (col) => col.notNull().references("accounts.id").onDelete("cascade"))
      .addColumn("name", "text", (col) => col.notNull())
      .addColumn("digest", "text", (col) => col.notNull())
      .addColumn("acls", "text")
      .addColumn("whitelist_ips", "text")
      .addColumn("expires_at", "bigint")
      .addColumn("created_at", "bigint", (col) => col.notNull())
      .addColumn("last_used_at", "bigint")
      .addColumn("last_used_ip", "text")
      .addColumn("origin", "text", (col) => col.notNull())
      .addUniqueConstraint("api_tokens_account_name", ["account_id", "name"])
      .addUniqueConstraint("api_tokens_account_digest", ["account_id", "digest"])
      .execute();
    await db.schema.createIndex("api_tokens_digest").on("api_tokens").column("digest").execute();

    await db.schema
      .createTable("sessions")
      .addColumn("id", "text", (col) => col.primaryKey())
      .addColumn("digest", "text", (col) => col.notNull().unique())
      .addColumn("account_id", "text", (col) => col.notNull().references("accounts.id").onDelete("cascade"))
      .addColumn("security_token", "text", (col) => col.notNull())
      .addColumn("created_at", "bigint", (col) => col.notNull())
      .addColumn("expires_at", "bigint", (col) => col.notNull())
      .addColumn("ip", "text", (col) => col.notNull())
      .execute();
    await db.schema.createIndex("sessions_expires_at").on("sessions").column("expires_at").execute();

    await db.schema
      .createTable("settings")
      .addColumn("key", "text", (col) => col.primaryKey())
      .addColumn("value", "text", (col) => col.notNull())
      .addColumn("updated_at", "bigint", (col) => col.notNull())
      .execute();

    await db.schema
      .createTable("audit_log")
      .addColumn("id", "text", (col) => col.primaryKey())
      .addColumn("at", "bigint", (col) => col.notNull())
      .addColumn("actor", "text", (col) => col.notNull())
      .addColumn("ip", "text", (col) => col.notNull())
      .addColumn("action", "text", (col) => col.notNull())
      .addColumn("target", "text", (col) => col.notNull())
      .addColumn("outcome", "text", (col) => col.notNull())
      .addColumn("detail", "text", (col) => col.notNull())
      .execute();
    await db.schema.createIndex("audit_log_at").on("audit_log").column("at").execute();
    await db.schema.createIndex("audit_log_actor").on("audit_log").columns(["actor", "at"]).execute();
  },

  async down(db: Kysely<unknown>): Promise<void> {
    for (const table of ["audit_log", "settings", "sessions", "api_tokens", "access_hashes", "accounts"]) {
      await db.schema.dropTable(table).execute();
    }
  },
};
