import { Migrator, type Kysely, type Migration, type MigrationProvider } from "kysely";
import { initial } from "./001_initial.js";
import { ipAccessHashes } from "./002_ip_access_hashes.js";
import { meta } from "./003_meta.js";
import { auditChain } from "./004_audit_chain.js";

/** Append only: a released migration is never edited, a change is a new entry. */
const MIGRATIONS: Record<string, Migration> = {
  "001_initial": initial,
  "002_ip_access_hashes": ipAccessHashes,
  "003_meta": meta,
  "004_audit_chain": auditChain,
};

const provider: MigrationProvider = {
  async getMigrations(): Promise<Record<string, Migration>> {
    return MIGRATIONS;
  },
};

/**
 * Brings the schema up to date. On PostgreSQL Kysely's migrator takes an advisory lock; on
 * SQLite it takes none, and sqlite.ts holds the write lock around this call. Either way instances
 * starting together apply each migration once.
 */
export async function migrateToLatest(db: Kysely<unknown>, schema?: string): Promise<void> {
  const migrator = new Migrator({
    db,
    provider,
    migrationTableName: "keyhold_migrations",
    migrationLockTableName: "keyhold_migrations_lock",
    // Named on PostgreSQL: Kysely otherwise finds the bookkeeping tables of another schema in the same database.
    ...(schema === undefined ? {} : { migrationTableSchema: schema }),
  });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((result) => result.status === "Error");
  if (error !== undefined || failed !== undefined) {
    throw new Error(`Database migration ${failed?.migrationName ?? ""} failed: ${String((error as Error | undefined)?.message ?? error)}`, { cause: error });
  }
}
