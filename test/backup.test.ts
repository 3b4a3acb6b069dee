import SQLite from "better-sqlite3";
import { randomBytes } from "node:crypto";
import { appendFileSync, copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openKeyhold } from "../src/cli/context.js";
import { resolveStoreLocation } from "../src/config.js";
import { createKeyFile } from "../src/core/secret-box.js";
import { TEST_DATABASE_URL } from "./postgres-helpers.js";
import { CLI, runCli, startServer, type ServerProcess } from "./server-process.js";

const ROOT_PASSWORD = "backup-root-password-1";

interface Manifest {
  storeKind: string;
  keyFingerprint: string | null;
  counts: Record<string, number>;
  files: Record<string, string>;
}

function basic(user: string, secret: string): string {
  return `Basic ${Buffer.from(`${user}:${secret}`).toString("base64")}`;
}

async function whm(base: string, fn: string, params: Record<string, string>, authorization: string): Promise<any> {
  const response = await fetch(`${base}/json-api/${fn}`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", authorization },
    body: new URLSearchParams({ "api.version": "1", ...params }).toString(),
  });
  return { status: response.status, body: (await response.json()) as any };
}

function onlySnapshot(dir: string): string {
  expect(existsSync(join(dir, "manifest.json"))).toBe(true);
  return dir;
}

describe("keyhold backup and restore", { timeout: 120_000 }, () => {
  let work: string;
  const servers: ServerProcess[] = [];

  beforeAll(() => {
    expect(existsSync(CLI), `${CLI} is missing: run \`npm run build\` first`).toBe(true);
    work = mkdtempSync(join(tmpdir(), "keyhold-backup-"));
  });
  afterAll(async () => {
    await Promise.all(servers.map((server) => server.stop()));
    rmSync(work, { recursive: true, force: true });
  });

  describe("SQLite", () => {
    let source: string;
    let snapshot: string;
    let manifest: Manifest;
    let acknowledgedBefore: Array<{ name: string; token: string }>;

    it("takes a backup while a writer keeps creating tokens, and the restore holds every token acknowledged before it", async () => {
      source = join(work, "source");
      const server = await startServer(["--data-dir", source, "--log-level", "error"], { KEYHOLD_ROOT_PASSWORD: ROOT_PASSWORD });
      servers.push(server);
      const first = await whm(server.base, "api_token_create", { token_name: "writer" }, basic("root", ROOT_PASSWORD));
      expect(first.body.metadata.result).toBe(1);
      const auth = `whm root:${first.body.data.token as string}`;

      const acknowledged: Array<{ name: string; token: string }> = [{ name: "writer", token: first.body.data.token }];
      let stop = false;
      let count = 0;
      let firstWrites!: () => void;
      const warmedUp = new Promise<void>((resolve) => (firstWrites = resolve));
      const writer = (async () => {
        while (!stop) {
          const name = `load_${count++}`;
          const { body } = await whm(server.base, "api_token_create", { token_name: name }, auth);
          if (body.metadata.result !== 1) throw new Error(`api_token_create failed: ${JSON.stringify(body.metadata)}`);
          acknowledged.push({ name, token: body.data.token });
          if (acknowledged.length >= 20) firstWrites();
        }
      })();
      const backupDir = join(work, "backups");
      let run;
      let writtenDuring;
      try {
        await Promise.race([warmedUp, writer]);
        acknowledgedBefore = [...acknowledged];
        run = await runCli(["backup", backupDir, "--data-dir", source, "--json"]);
        writtenDuring = acknowledged.length - acknowledgedBefore.length;
      } finally {
        stop = true;
        await writer;
      }
      expect(run.stderr).toBe("");
      expect(run.code).toBe(0);
      const result = JSON.parse(run.stdout) as Manifest & { directory: string };
      // The directory was missing, so the backup is the directory itself.
      snapshot = onlySnapshot(result.directory);
      expect(snapshot).toBe(backupDir);
      manifest = JSON.parse(readFileSync(join(snapshot, "manifest.json"), "utf8")) as Manifest;
      expect(manifest.storeKind).toBe("sqlite");
      expect(manifest.keyFingerprint).toMatch(/^[0-9a-f]{64}$/);
      expect(Object.keys(manifest.files).sort()).toEqual(["keyhold.key", "keyhold.sqlite"]);
      expect(manifest.counts.api_tokens).toBeGreaterThanOrEqual(acknowledgedBefore.length);
      // The writer was running throughout the backup (whether a request was acknowledged meanwhile depends on the machine's speed).
      expect(writtenDuring).toBeGreaterThanOrEqual(0);
      await server.stop();

      // Restore into a new data directory and serve it.
      const target = join(work, "restored");
      const restore = await runCli(["restore", snapshot, "--data-dir", target]);
      expect(restore.stderr).toBe("");
      expect(restore.code).toBe(0);
      const restoredDb = new SQLite(join(target, "keyhold.sqlite"), { readonly: true });
      try {
        expect(restoredDb.pragma("integrity_check", { simple: true })).toBe("ok");
        for (const [table, rows] of Object.entries(manifest.counts)) {
          expect(restoredDb.prepare(`SELECT count(*) FROM "${table}"`).pluck().get(), table).toBe(rows);
        }
      } finally {
        restoredDb.close();
      }
      const restored = await startServer(["--data-dir", target, "--log-level", "error"], { KEYHOLD_ROOT_PASSWORD: ROOT_PASSWORD });
      servers.push(restored);
      const list = await whm(restored.base, "api_token_list", {}, basic("root", ROOT_PASSWORD));
      const names = new Set(Object.keys(list.body.data.tokens as Record<string, unknown>));
      for (const { name } of acknowledgedBefore) expect(names.has(name), name).toBe(true);
      expect(names.size).toBe(manifest.counts.api_tokens);
      // The tokens authenticate on the restored store (the digests came along).
      for (const { token } of [acknowledgedBefore[0]!, acknowledgedBefore.at(-1)!]) {
        expect((await whm(restored.base, "version", {}, `whm root:${token}`)).status).toBe(200);
      }
      await restored.stop();
    });

    it("writes the snapshot directory 0700 and its files 0600", () => {
      expect(statSync(snapshot).mode & 0o777).toBe(0o700);
      for (const name of readdirSync(snapshot)) expect(statSync(join(snapshot, name)).mode & 0o777, name).toBe(0o600);
      const target = join(work, "restored");
      expect(statSync(join(target, "keyhold.sqlite")).mode & 0o777).toBe(0o600);
      expect(statSync(join(target, "keyhold.key")).mode & 0o777).toBe(0o600);
    });

    it("puts a second backup into a timestamped directory inside a non-empty one", async () => {
      const run = await runCli(["backup", snapshot, "--data-dir", source, "--json"]);
      expect(run.code).toBe(0);
      const { directory } = JSON.parse(run.stdout) as { directory: string };
      expect(directory).toMatch(/\/keyhold-\d{8}T\d{6}Z$/);
      expect(statSync(directory).mode & 0o777).toBe(0o700);
      rmSync(directory, { recursive: true });
    });

    it("refuses to replace a store that holds records, or a different key file, without --force", async () => {
      const target = join(work, "restored");
      const again = await runCli(["restore", snapshot, "--data-dir", target]);
      expect(again.code).toBe(1);
      expect(again.stderr).toMatch(/already holds records.*--force/);

      const other = join(work, "other-key");
      createKeyFile(join(other, "keyhold.key"));
      const wrongKey = await runCli(["restore", snapshot, "--data-dir", other]);
      expect(wrongKey.code).toBe(1);
      expect(wrongKey.stderr).toContain(`The key file ${join(other, "keyhold.key")} already exists and is not the key in this backup`);
      const forced = await runCli(["restore", snapshot, "--data-dir", other, "--force"]);
      expect(forced.code).toBe(0);
    });

    it("refuses a snapshot whose key file was replaced by another key", async () => {
      const copy = join(work, "replaced-key");
      const fresh = join(work, "fresh-key");
      createKeyFile(join(fresh, "keyhold.key"));
      await runCli(["backup", copy, "--data-dir", source]);
      copyFileSync(join(fresh, "keyhold.key"), join(copy, "keyhold.key"));
      // Even with the manifest's checksum brought up to date, the store's fingerprint gives it away.
      const m = JSON.parse(readFileSync(join(copy, "manifest.json"), "utf8")) as Manifest;
      const { createHash } = await import("node:crypto");
      m.files["keyhold.key"] = createHash("sha256").update(readFileSync(join(copy, "keyhold.key"))).digest("hex");
      writeFileSync(join(copy, "manifest.json"), JSON.stringify(m));
      const run = await runCli(["restore", copy, "--data-dir", join(work, "never-1")]);
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(`The key file ${join(copy, "keyhold.key")} is not the key of the store in this backup`);
      expect(existsSync(join(work, "never-1", "keyhold.sqlite"))).toBe(false);
    });

    it("refuses a snapshot file that does not match its checksum", async () => {
      const copy = join(work, "tampered");
      await runCli(["backup", copy, "--data-dir", source]);
      appendFileSync(join(copy, "keyhold.sqlite"), "x");
      const run = await runCli(["restore", copy, "--data-dir", join(work, "never-2")]);
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(`The backup file ${join(copy, "keyhold.sqlite")} does not match its checksum`);
      expect(existsSync(join(work, "never-2"))).toBe(false);
    });
  });

  describe("PostgreSQL", () => {
    const suffix = `${process.pid}_${randomBytes(4).toString("hex")}`;
    const databases = [`keyhold_backup_src_${suffix}`, `keyhold_backup_dst_${suffix}`];
    const urlOf = (name: string) => {
      const url = new URL(TEST_DATABASE_URL);
      url.pathname = `/${name}`;
      return url.toString();
    };
    let admin: pg.Client;

    beforeAll(async () => {
      admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
      await admin.connect();
      for (const name of databases) await admin.query(`CREATE DATABASE "${name}"`);
    });
    afterAll(async () => {
      for (const name of databases) await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await admin.end();
    });

    it("round-trips a store through pg_dump and pg_restore into another database", async () => {
      const [src, dst] = databases.map(urlOf) as [string, string];
      const keyDir = join(work, "pg-source");
      // An SQLite store made in-process, copied into PostgreSQL by `keyhold migrate-store` (the test holds no PostgreSQL connection of its own).
      const keyhold = await openKeyhold(resolveStoreLocation({ dataDir: keyDir }, {}), { create: true });
      try {
        await keyhold.accounts.ensureRoot(ROOT_PASSWORD);
      } finally {
        await keyhold.close();
      }
      const migrated = await runCli(["migrate-store", "--from", join(keyDir, "keyhold.sqlite"), "--to", src]);
      expect(migrated.code, migrated.stderr).toBe(0);
      const at = ["--database", src, "--key-file", join(keyDir, "keyhold.key")];
      expect((await runCli(["account", "add", "bob", "--domain", "bob.example.com", "--reseller", "--password-stdin", ...at], { input: "bob-password-1\n" })).code).toBe(0);
      expect((await runCli(["accesshash", "generate", "bob", ...at])).code).toBe(0);
      const original = JSON.parse((await runCli(["accesshash", "show", "bob", "--json", ...at])).stdout) as { accesshash: string };

      const dir = join(work, "pg-backup");
      const backup = await runCli(["backup", dir, ...at]);
      expect(backup.stderr).toBe("");
      expect(backup.code).toBe(0);
      const manifest = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")) as Manifest;
      expect(manifest.storeKind).toBe("postgres");
      expect(Object.keys(manifest.files).sort()).toEqual(["keyhold.key", "keyhold.pgdump"]);
      expect(manifest.counts.accounts).toBe(2);
      for (const name of readdirSync(dir)) expect(statSync(join(dir, name)).mode & 0o777, name).toBe(0o600);

      const restoredKey = join(work, "pg-restored", "keyhold.key");
      const restore = await runCli(["restore", dir, "--database", dst, "--key-file", restoredKey]);
      expect(restore.stderr).toBe("");
      expect(restore.code).toBe(0);
      const shown = await runCli(["accesshash", "show", "bob", "--json", "--database", dst, "--key-file", restoredKey]);
      expect(shown.code).toBe(0);
      expect((JSON.parse(shown.stdout) as { accesshash: string }).accesshash).toBe(original.accesshash);

      const again = await runCli(["restore", dir, "--database", dst, "--key-file", restoredKey]);
      expect(again.code).toBe(1);
      expect(again.stderr).toMatch(/already holds records/);
      const forced = await runCli(["restore", dir, "--database", dst, "--key-file", restoredKey, "--force"]);
      expect(forced.stderr).toBe("");
      expect(forced.code).toBe(0);

      // Another key, with the manifest's checksum and fingerprint edited to match: the dump's own meta table gives it away.
      const fresh = join(work, "pg-fresh-key", "keyhold.key");
      createKeyFile(fresh);
      copyFileSync(fresh, join(dir, "keyhold.key"));
      const { createHash } = await import("node:crypto");
      const { keyFingerprint, readKeyFile } = await import("../src/core/secret-box.js");
      const edited = { ...manifest, keyFingerprint: keyFingerprint(readKeyFile(fresh)), files: { ...manifest.files, "keyhold.key": createHash("sha256").update(readFileSync(fresh)).digest("hex") } };
      writeFileSync(join(dir, "manifest.json"), JSON.stringify(edited));
      const replaced = await runCli(["restore", dir, "--database", dst, "--key-file", restoredKey, "--force"]);
      expect(replaced.code).toBe(1);
      expect(replaced.stderr).toContain("records another key fingerprint than the dump");
    });
  });
});
