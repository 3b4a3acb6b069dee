import SQLite from "better-sqlite3";
import { copyFileSync, chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { keyFingerprint, readKeyFile } from "../core/secret-box.js";
import {
  connectPostgres,
  dumpFingerprint,
  MANIFEST_FILE,
  postgresCounts,
  postgresFingerprint,
  postgresToolTarget,
  runPgTool,
  sha256File,
  SNAPSHOT_KEY,
  SNAPSHOT_PGDUMP,
  SNAPSHOT_SQLITE,
  sqliteCounts,
  sqliteFileOf,
  sqliteFingerprint,
  type BackupLocation,
  type BackupManifest,
} from "./backup.js";
import { isPostgresUrl } from "./open.js";
import { redactUrl } from "./postgres-connection.js";

export interface RestoreOptions {
  /** Replace a target store that holds records, and a target key file that is another key. */
  readonly force?: boolean;
}

export interface RestoreResult {
  readonly manifest: BackupManifest;
  readonly store: string;
  readonly keyFile: string;
  readonly counts: Record<string, number>;
}

/** Reads the manifest and checks every file against its SHA-256 and the key against the store's fingerprint. */
export async function verifySnapshot(snapshotDir: string): Promise<BackupManifest> {
  const dir = resolve(snapshotDir);
  const manifestPath = join(dir, MANIFEST_FILE);
  if (!existsSync(manifestPath)) throw new Error(`${dir} is not a Keyhold backup: ${manifestPath} is missing.`);
  let manifest: BackupManifest;
  try {
    manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as BackupManifest;
  } catch (error) {
    throw new Error(`The manifest ${manifestPath} is not valid JSON: ${(error as Error).message}`);
  }
  if (manifest.format !== "keyhold-backup-1" || typeof manifest.files !== "object") throw new Error(`The manifest ${manifestPath} is not a Keyhold backup manifest.`);
  const expected = manifest.storeKind === "postgres" ? SNAPSHOT_PGDUMP : SNAPSHOT_SQLITE;
  for (const name of [expected, SNAPSHOT_KEY]) {
    if (manifest.files[name] === undefined) throw new Error(`The manifest ${manifestPath} lists no checksum for ${name}.`);
  }
  for (const [name, digest] of Object.entries(manifest.files)) {
    const path = join(dir, name);
    if (name.includes("/") || name.includes("\\")) throw new Error(`The manifest ${manifestPath} names a file outside the backup: ${name}`);
    if (!existsSync(path)) throw new Error(`The backup file ${path} is missing.`);
    if ((await sha256File(path)) !== digest) throw new Error(`The backup file ${path} does not match its checksum in ${manifestPath}: it was changed or damaged.`);
  }
  const keyPath = join(dir, SNAPSHOT_KEY);
  const fingerprint = keyFingerprint(readKeyFile(keyPath));
  let recorded = manifest.keyFingerprint;
  if (manifest.storeKind === "sqlite") {
    const database = new SQLite(join(dir, SNAPSHOT_SQLITE), { readonly: true, fileMustExist: true });
    try {
      recorded = sqliteFingerprint(database);
    } finally {
      database.close();
    }
  } else {
    // The manifest could be edited along with the key: what counts is the dump's own meta table.
    recorded = await dumpFingerprint(join(dir, SNAPSHOT_PGDUMP), manifest.schema ?? "public");
    if (recorded !== manifest.keyFingerprint) throw new Error(`The manifest ${manifestPath} records another key fingerprint than the dump ${join(dir, SNAPSHOT_PGDUMP)} holds.`);
  }
  if (recorded !== null && recorded !== fingerprint) {
    throw new Error(`The key file ${keyPath} is not the key of the store in this backup (its fingerprint differs from the one the store recorded). Refusing to restore.`);
  }
  return manifest;
}

/** Restores a verified snapshot into the store (and key file) the location names. */
export async function restoreSnapshot(snapshotDir: string, location: BackupLocation, options: RestoreOptions = {}): Promise<RestoreResult> {
  const dir = resolve(snapshotDir);
  const manifest = await verifySnapshot(dir);
  const force = options.force === true;
  const targetIsPostgres = isPostgresUrl(location.databaseUrl);
  if ((manifest.storeKind === "postgres") !== targetIsPostgres) {
    throw new Error(`This backup holds a ${manifest.storeKind === "postgres" ? "PostgreSQL" : "SQLite"} store; name a ${manifest.storeKind === "postgres" ? "PostgreSQL target with --database postgres://…" : "SQLite target with --data-dir or --database sqlite:<path>"}. (To change kind, restore, then run \`keyhold migrate-store\`.)`);
  }
  const snapshotKey = join(dir, SNAPSHOT_KEY);
  const targetKey = resolve(location.keyFile);
  if (existsSync(targetKey)) {
    let same: boolean;
    try {
      same = keyFingerprint(readKeyFile(targetKey)) === keyFingerprint(readKeyFile(snapshotKey));
    } catch {
      same = false;
    }
    if (!same && !force) throw new Error(`The key file ${targetKey} already exists and is not the key in this backup (${snapshotKey}). Move it away, or pass --force to replace it.`);
  }
  let store: string;
  let counts: Record<string, number>;
  if (targetIsPostgres) {
    ({ store, counts } = await restorePostgres(join(dir, SNAPSHOT_PGDUMP), location.databaseUrl!, manifest, force));
  } else {
    ({ store, counts } = restoreSqlite(join(dir, SNAPSHOT_SQLITE), sqliteFileOf(location), force));
  }
  writeAtomically(snapshotKey, targetKey);
  return { manifest, store, keyFile: targetKey, counts };
}

/** Copies `from` next to `to` (0600), then renames it into place. */
function writeAtomically(from: string, to: string): void {
  mkdirSync(dirname(to), { recursive: true, mode: 0o700 });
  const temp = `${to}.restore-${process.pid}.tmp`;
  try {
    copyFileSync(from, temp);
    chmodSync(temp, 0o600);
    renameSync(temp, to);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
}

function restoreSqlite(snapshot: string, target: string, force: boolean): { store: string; counts: Record<string, number> } {
  const shown = `sqlite:${target}`;
  if (existsSync(target)) {
    let holds = true;
    try {
      const existing = new SQLite(target, { fileMustExist: true });
      try {
        holds = Object.values(sqliteCounts(existing)).some((n) => n > 0);
      } finally {
        existing.close();
      }
    } catch {
      holds = true;
    }
    if (holds && !force) throw new Error(`The target store ${shown} already holds records. Stop any server using it, and pass --force to replace it.`);
  }
  // A -wal left by the replaced database would be applied to the restored one.
  for (const suffix of ["-wal", "-shm"]) rmSync(`${target}${suffix}`, { force: true });
  writeAtomically(snapshot, target);
  const restored = new SQLite(target, { fileMustExist: true });
  try {
    return { store: shown, counts: sqliteCounts(restored) };
  } finally {
    restored.close();
  }
}

async function restorePostgres(dump: string, databaseUrl: string, manifest: BackupManifest, force: boolean): Promise<{ store: string; counts: Record<string, number> }> {
  const shown = redactUrl(databaseUrl);
  const { url, schema, env } = postgresToolTarget(databaseUrl);
  if (manifest.schema !== undefined && manifest.schema !== schema) {
    throw new Error(`This backup holds the schema ${manifest.schema}; the target ${shown} names schema ${schema}. Add ?schema=${manifest.schema} to --database.`);
  }
  const client = await connectPostgres(databaseUrl);
  try {
    const existing = await postgresCounts(client, schema);
    if (Object.values(existing).some((n) => n > 0) && !force) {
      throw new Error(`The target store ${shown} (schema ${schema}) already holds records. Stop any server using it, and pass --force to replace it.`);
    }
    await runPgTool("pg_restore", ["--clean", "--if-exists", "--no-owner", "--no-privileges", "--single-transaction", "--exit-on-error", `--dbname=${url}`, dump], env, shown);
    const counts = await postgresCounts(client, schema);
    const fingerprint = await postgresFingerprint(client, schema);
    if (fingerprint !== manifest.keyFingerprint) throw new Error(`The restored store ${shown} records another key fingerprint than the backup's manifest.`);
    return { store: shown, counts };
  } finally {
    await client.end();
  }
}
