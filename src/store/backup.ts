import SQLite from "better-sqlite3";
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, copyFileSync, createReadStream, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import pg from "pg";
import { keyFingerprint, readKeyFile } from "../core/secret-box.js";
import { KEYHOLD_VERSION } from "../version.js";
import { isPostgresUrl, sqlitePath, DEFAULT_SQLITE_FILE } from "./open.js";
import { parsePostgresUrl, redactUrl } from "./postgres-connection.js";

export const MANIFEST_FILE = "manifest.json";
export const SNAPSHOT_SQLITE = "keyhold.sqlite";
export const SNAPSHOT_PGDUMP = "keyhold.pgdump";
export const SNAPSHOT_KEY = "keyhold.key";
const KEY_FINGERPRINT = "key_fingerprint";

export interface BackupManifest {
  readonly format: "keyhold-backup-1";
  readonly keyholdVersion: string;
  readonly storeKind: "sqlite" | "postgres";
  /** PostgreSQL only: the schema the dump holds (it is restored into the same schema). */
  readonly schema?: string;
  readonly createdAt: string;
  /** The fingerprint the store recorded for its key (null for a store that never recorded one). */
  readonly keyFingerprint: string | null;
  /** Rows per table, counted in the same snapshot the backup holds. */
  readonly counts: Record<string, number>;
  /** SHA-256 (hex) of each file of the snapshot except the manifest. */
  readonly files: Record<string, string>;
}

export interface BackupLocation {
  readonly databaseUrl: string | undefined;
  readonly dataDir: string;
  readonly keyFile: string;
}

export interface BackupOptions {
  /** SQLite: pages copied so far out of the total. */
  readonly onProgress?: (done: number, total: number) => void;
}

/** The snapshot directory a backup into `dir` writes: `dir` itself when it is empty or missing, otherwise `dir/keyhold-<UTC timestamp>`. */
export function snapshotDirectory(dir: string, now: Date = new Date()): string {
  const target = resolve(dir);
  if (!existsSync(target) || readdirSync(target).length === 0) return target;
  const stamp = now.toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
  return join(target, `keyhold-${stamp}`);
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

/** Writes a consistent snapshot of the store, a copy of its key file and a manifest into a new directory (0700, files 0600); returns it and the manifest. */
export async function backupStore(location: BackupLocation, dir: string, options: BackupOptions = {}): Promise<{ directory: string; manifest: BackupManifest }> {
  const keyPath = resolve(location.keyFile);
  if (!isPostgresUrl(location.databaseUrl) && !existsSync(sqliteFileOf(location))) {
    throw new Error(`No Keyhold store at sqlite:${sqliteFileOf(location)}. Name the existing store with --data-dir (or --database).`);
  }
  if (!existsSync(keyPath)) throw new Error(`The key file ${keyPath} does not exist: a backup without its key cannot be restored. Pass it with --key-file.`);
  const key = readKeyFile(keyPath);
  const directory = snapshotDirectory(dir);
  if (existsSync(directory) && readdirSync(directory).length > 0) throw new Error(`The backup directory ${directory} is not empty.`);
  mkdirSync(directory, { recursive: true, mode: 0o700 });
  chmodSync(directory, 0o700);
  try {
    const createdAt = new Date().toISOString();
    let snapshot: { kind: "sqlite" | "postgres"; file: string; schema?: string; counts: Record<string, number>; fingerprint: string | null };
    if (isPostgresUrl(location.databaseUrl)) snapshot = await dumpPostgres(location.databaseUrl!, join(directory, SNAPSHOT_PGDUMP));
    else snapshot = await backupSqlite(sqliteFileOf(location), join(directory, SNAPSHOT_SQLITE), options);
    if (snapshot.fingerprint !== null && snapshot.fingerprint !== keyFingerprint(key)) {
      throw new Error(`The key file ${keyPath} is not the key of the store being backed up (its fingerprint differs from the one the store recorded).`);
    }
    copyFileSync(keyPath, join(directory, SNAPSHOT_KEY));
    chmodSync(join(directory, SNAPSHOT_KEY), 0o600);
    chmodSync(snapshot.file, 0o600);
    const files: Record<string, string> = {};
    for (const name of [snapshot.kind === "sqlite" ? SNAPSHOT_SQLITE : SNAPSHOT_PGDUMP, SNAPSHOT_KEY]) files[name] = await sha256File(join(directory, name));
    const manifest: BackupManifest = {
      format: "keyhold-backup-1",
      keyholdVersion: KEYHOLD_VERSION,
      storeKind: snapshot.kind,
      ...(snapshot.schema === undefined ? {} : { schema: snapshot.schema }),
      createdAt,
      keyFingerprint: snapshot.fingerprint,
      counts: snapshot.counts,
      files,
    };
    writeFileSync(join(directory, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600, flag: "wx" });
    return { directory, manifest };
  } catch (error) {
    rmSync(directory, { recursive: true, force: true });
    throw error;
  }
}

export function sqliteFileOf(location: { databaseUrl: string | undefined; dataDir: string }): string {
  return resolve(location.databaseUrl === undefined || location.databaseUrl === "" ? join(location.dataDir, DEFAULT_SQLITE_FILE) : sqlitePath(location.databaseUrl));
}

async function backupSqlite(source: string, file: string, options: BackupOptions) {
  if (!existsSync(source)) throw new Error(`No Keyhold store at sqlite:${source}.`);
  const database = new SQLite(source, { fileMustExist: true });
  try {
    database.pragma("busy_timeout = 5000");
    // The online backup API: consistent while the server keeps writing (it restarts on changes made through other connections).
    let total = 0;
    await database.backup(file, {
      progress({ totalPages, remainingPages }) {
        total = totalPages;
        options.onProgress?.(totalPages - remainingPages, totalPages);
        return 200;
      },
    });
    options.onProgress?.(total, total);
  } finally {
    database.close();
  }
  chmodSync(file, 0o600);
  // One self-contained file: no -wal beside it.
  const snapshot = new SQLite(file, { fileMustExist: true });
  try {
    snapshot.pragma("journal_mode = DELETE");
    const integrity = snapshot.pragma("integrity_check", { simple: true });
    if (integrity !== "ok") throw new Error(`The snapshot ${file} fails SQLite's integrity check: ${String(integrity)}`);
    return { kind: "sqlite" as const, file, counts: sqliteCounts(snapshot), fingerprint: sqliteFingerprint(snapshot) };
  } finally {
    snapshot.close();
  }
}

export function sqliteCounts(database: SQLite.Database): Record<string, number> {
  const tables = database.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").pluck().all() as string[];
  const counts: Record<string, number> = {};
  for (const table of tables) counts[table] = database.prepare(`SELECT count(*) FROM "${table.replace(/"/g, '""')}"`).pluck().get() as number;
  return counts;
}

export function sqliteFingerprint(database: SQLite.Database): string | null {
  const has = database.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").get();
  if (has === undefined) return null;
  const value = database.prepare("SELECT value FROM meta WHERE key = ?").pluck().get(KEY_FINGERPRINT) as string | undefined;
  return value ?? null;
}

/** The connection for pg_dump / pg_restore: the URL without its password (that goes in PGPASSWORD) nor Keyhold's schema parameter. */
export function postgresToolTarget(databaseUrl: string): { url: string; schema: string; env: NodeJS.ProcessEnv } {
  const { url, schema } = parsePostgresUrl(databaseUrl);
  const parsed = new URL(url);
  const password = decodeURIComponent(parsed.password);
  parsed.password = "";
  const env: NodeJS.ProcessEnv = { ...process.env };
  if (password !== "") env.PGPASSWORD = password;
  return { url: parsed.toString(), schema, env };
}

/** Runs a PostgreSQL client tool; failures quote its stderr (it never sees the password on its command line). */
export async function runPgTool(tool: string, args: readonly string[], env: NodeJS.ProcessEnv, shownUrl: string): Promise<string> {
  const child = spawn(tool, [...args], { env, stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  let stdout = "";
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  const code = await new Promise<number | null>((resolvePromise, reject) => {
    child.on("error", (error: NodeJS.ErrnoException) => reject(error.code === "ENOENT" ? new Error(`${tool} is not installed or not on PATH; it is needed for PostgreSQL backups.`) : error));
    child.on("close", (exit) => resolvePromise(exit));
  });
  if (code !== 0) throw new Error(`${tool} failed for ${shownUrl} (exit ${String(code)}): ${stderr.trim()}`);
  return stdout;
}

/** The key fingerprint a custom-format dump's `meta` table holds, read with pg_restore (no database needed). */
export async function dumpFingerprint(dump: string, schema: string): Promise<string | null> {
  const sql = await runPgTool("pg_restore", ["--data-only", `--schema=${schema}`, "--table=meta", "--file=-", dump], process.env, dump);
  const match = new RegExp(`^${KEY_FINGERPRINT}\\t([0-9a-f]+)$`, "m").exec(sql);
  return match?.[1] ?? null;
}

export async function postgresCounts(client: pg.ClientBase, schema: string): Promise<Record<string, number>> {
  const tables = await client.query<{ table_name: string }>("SELECT table_name FROM information_schema.tables WHERE table_schema = $1 AND table_type = 'BASE TABLE' ORDER BY table_name", [schema]);
  const counts: Record<string, number> = {};
  for (const { table_name: table } of tables.rows) {
    const result = await client.query<{ n: string }>(`SELECT count(*) AS n FROM "${schema}"."${table.replace(/"/g, '""')}"`);
    counts[table] = Number(result.rows[0]!.n);
  }
  return counts;
}

export async function postgresFingerprint(client: pg.ClientBase, schema: string): Promise<string | null> {
  const has = await client.query("SELECT 1 FROM information_schema.tables WHERE table_schema = $1 AND table_name = 'meta'", [schema]);
  if (has.rowCount === 0) return null;
  const row = await client.query<{ value: string }>(`SELECT value FROM "${schema}".meta WHERE key = $1`, [KEY_FINGERPRINT]);
  return row.rows[0]?.value ?? null;
}

async function dumpPostgres(databaseUrl: string, file: string) {
  const shown = redactUrl(databaseUrl);
  const { url, schema, env } = postgresToolTarget(databaseUrl);
  const client = await connectPostgres(databaseUrl);
  try {
    // Counts, fingerprint and dump all read one exported snapshot, so they agree while writes go on.
    await client.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    const snapshotId = (await client.query<{ id: string }>("SELECT pg_export_snapshot() AS id")).rows[0]!.id;
    const counts = await postgresCounts(client, schema);
    if (counts.meta === undefined) throw new Error(`No Keyhold store at ${shown} (schema ${schema} has no Keyhold tables).`);
    const fingerprint = await postgresFingerprint(client, schema);
    await runPgTool("pg_dump", ["--format=custom", `--schema=${schema}`, `--snapshot=${snapshotId}`, "--no-owner", "--no-privileges", `--file=${file}`, `--dbname=${url}`], env, shown);
    await client.query("COMMIT");
    return { kind: "postgres" as const, file, schema, counts, fingerprint };
  } finally {
    await client.end();
  }
}

/** A pg client on the URL's database; a failure to connect names the store (password redacted). */
export async function connectPostgres(databaseUrl: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: parsePostgresUrl(databaseUrl).url });
  client.on("error", () => {});
  try {
    await client.connect();
  } catch (error) {
    throw new Error(`Cannot connect to the PostgreSQL store ${redactUrl(databaseUrl)}: ${(error as Error).message}`);
  }
  return client;
}
