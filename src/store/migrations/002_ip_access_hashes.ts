import type { Kysely, Migration } from "kysely";

export const ipAccessHashes: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable("ip_access_hashes")
      .addColumn("id", "text", (col) => col.primaryKey())
      .addColumn("account_id", "text", (col) => col.notNull().references("accounts.id").onDelete("cascade"))
      .addColumn("name", "text", (col) => col.notNull())
      .addColumn("ip", "text", (col) => col.notNull())
      .addColumn("digest", "text", (col) => col.notNull().unique())
      .addColumn("prefix", "text", (col) => col.notNull())
      .addColumn("created_at", "bigint", (col) => col.notNull())
      .addColumn("expires_at", "bigint")
      .addColumn("last_used_at", "bigint")
      .addColumn("last_used_ip", "text")
      .execute();
    await db.schema.createIndex("ip_access_hashes_account").on("ip_access_hashes").column("account_id").execute();
  },

  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.dropTable("ip_access_hashes").execute();
  },
};
