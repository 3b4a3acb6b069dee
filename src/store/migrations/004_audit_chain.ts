import { sql, type Kysely, type Migration } from "kysely";

/**
 * The audit hash chain: `seq` numbers the entries of the store one after another, `prev_hash`
 * and `hash` link each to the one before. Existing entries get their `seq` here, in time (then
 * id) order; their hashes need the key file, which a migration does not have, so the first
 * start with the key seals them (KyselyStore.useAuditChain).
 */
export const auditChain: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema.alterTable("audit_log").addColumn("seq", "bigint").execute();
    await db.schema.alterTable("audit_log").addColumn("prev_hash", "text").execute();
    await db.schema.alterTable("audit_log").addColumn("hash", "text").execute();
    const { rows } = await sql<{ id: string }>`SELECT id FROM audit_log ORDER BY at, id`.execute(db);
    let seq = 0;
    for (const row of rows) {
      seq += 1;
      await sql`UPDATE audit_log SET seq = ${seq} WHERE id = ${row.id}`.execute(db);
    }
    // Two instances can never give out one number twice: the second insert fails instead of forking the chain.
    await db.schema.createIndex("audit_log_seq").unique().on("audit_log").column("seq").execute();
  },

  async down(db: Kysely<unknown>): Promise<void> {
    await db.schema.dropIndex("audit_log_seq").execute();
    await db.schema.alterTable("audit_log").dropColumn("hash").execute();
    await db.schema.alterTable("audit_log").dropColumn("prev_hash").execute();
    await db.schema.alterTable("audit_log").dropColumn("seq").execute();
  },
};
