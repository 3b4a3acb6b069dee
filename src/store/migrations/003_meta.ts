import type { Kysely, Migration } from "kysely";

/** Facts about the store itself, one row each (the key fingerprint). */
export const meta: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable("meta")
      .addColumn("key", "text", (col) => col.primaryKey())
      .addColumn("value", "text", (col) => col.notNull())
      .execute();
  },

  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.dropTable("meta").execute();
  },
};
