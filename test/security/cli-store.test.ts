import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openKeyhold } from "../../src/cli/context.js";
import { resolveStoreLocation } from "../../src/config.js";
import { runCli, startServer } from "../server-process.js";

// The accident an attacker can count on: run from another folder (or with a misspelt
// --data-dir), `keyhold account list` silently created a new, empty store, so the operator saw
// "no accounts" and a store nobody guards appeared. Only `serve` and migrate-store's target create.

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "keyhold-cli-store-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("commands other than serve never create a store", { timeout: 60_000 }, () => {
  const COMMANDS: readonly (readonly string[])[] = [
    ["account", "list"],
    ["account", "add", "eve", "--domain", "eve.example.com", "--password", "eve-password-1"],
    ["accesshash", "generate", "root"],
    ["settings", "set", "allow_deprecated_accesshash", "1"],
    ["audit", "list"],
    ["convert-accesshash-to-token", "--all-resellers"],
    ["import-cpanel", ".", "--dry-run"],
  ];

  it("each one, run from a folder without a store, exits 1 naming the store and how to create it, and creates nothing", async () => {
    const elsewhere = join(dir, "elsewhere");
    mkdirSync(elsewhere);
    const runs = await Promise.all(COMMANDS.map((args) => runCli(args, { cwd: elsewhere })));
    for (const [i, run] of runs.entries()) {
      const what = COMMANDS[i]!.join(" ");
      expect(run.code, what).toBe(1);
      expect(run.stderr, what).toBe(`error: No Keyhold store at sqlite:${join(elsewhere, "data", "keyhold.sqlite")}. Create one by running \`keyhold serve\` once, or name the existing store with --data-dir (or --database).\n`);
    }
    expect(readdirSync(elsewhere)).toEqual([]);
  });

  it("refuses a misspelt --data-dir or --database the same way", async () => {
    const typo = join(dir, "dta");
    const byDir = await runCli(["account", "list", "--data-dir", typo], { cwd: dir });
    expect(byDir.code).toBe(1);
    expect(byDir.stderr).toContain(`sqlite:${join(typo, "keyhold.sqlite")}`);
    const byUrl = await runCli(["settings", "get", "--database", `sqlite:${join(dir, "nowhere", "k.sqlite")}`], { cwd: dir });
    expect(byUrl.code).toBe(1);
    expect(byUrl.stderr).toContain(`No Keyhold store at sqlite:${join(dir, "nowhere", "k.sqlite")}`);
    expect(existsSync(typo)).toBe(false);
    expect(existsSync(join(dir, "nowhere"))).toBe(false);
  });

  it("migrate-store refuses a missing source and creates no target", async () => {
    const target = join(dir, "target", "keyhold.sqlite");
    const run = await runCli(["migrate-store", "--from", join(dir, "none.sqlite"), "--to", target], { cwd: dir });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`No Keyhold store at sqlite:${join(dir, "none.sqlite")}`);
    expect(existsSync(join(dir, "none.sqlite"))).toBe(false);
    expect(existsSync(target)).toBe(false);
  });

  it("a store serve created is used by the other commands", async () => {
    const dataDir = join(dir, "served");
    const server = await startServer(["--data-dir", dataDir, "--log-level", "error"], { KEYHOLD_ROOT_PASSWORD: "root-password-1" });
    await server.stop();
    const run = await runCli(["account", "list", "--json", "--data-dir", dataDir], { cwd: dir });
    expect(run.code).toBe(0);
    expect((JSON.parse(run.stdout) as { username: string }[]).map((row) => row.username)).toEqual(["root"]);
  });
});

describe("--verbose names the store and key file a command opens", { timeout: 60_000 }, () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = join(dir, "verbose", "data");
    await (await openKeyhold(resolveStoreLocation({ dataDir }, {}), { create: true })).close();
  });

  it("before or after the command name, on stderr only", async () => {
    const line = `keyhold: store sqlite:${join(dataDir, "keyhold.sqlite")}, key ${join(dataDir, "keyhold.key")}\n`;
    const [before, after] = await Promise.all([
      runCli(["--verbose", "settings", "get", "allow_deprecated_accesshash", "--data-dir", dataDir], { cwd: dir }),
      runCli(["settings", "get", "allow_deprecated_accesshash", "--data-dir", dataDir, "--verbose"], { cwd: dir }),
    ]);
    for (const run of [before, after]) expect(run).toEqual({ code: 0, stdout: "0\n", stderr: line });
    expect((await runCli(["settings", "get", "allow_deprecated_accesshash", "--data-dir", dataDir], { cwd: dir })).stderr).toBe("");
  });

  it("names a relative --data-dir by its absolute path, and a store that is missing too", async () => {
    const run = await runCli(["account", "list", "--verbose", "--data-dir", "rel"], { cwd: dir });
    expect(run.code).toBe(1);
    expect(run.stderr.split("\n")[0]).toBe(`keyhold: store sqlite:${join(dir, "rel", "keyhold.sqlite")}, key ${join(dir, "rel", "keyhold.key")}`);
  });

  it("never shows a database password", async () => {
    // Port 1: nothing listens, so the command fails fast after naming the store.
    const run = await runCli(["account", "list", "--verbose", "--database", "postgres://keyhold:s3cret-pw@127.0.0.1:1/keyhold?schema=kh", "--key-file", join(dataDir, "keyhold.key")], { cwd: dir });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^keyhold: store postgres:\/\/keyhold:\*\*\*@127\.0\.0\.1:1\/keyhold\?schema=kh, key /);
    expect(run.stderr).not.toContain("s3cret-pw");
  });

  it("serve names its store too", async () => {
    const served = join(dir, "verbose-serve");
    const server = await startServer(["--verbose", "--data-dir", served, "--log-level", "error"], { KEYHOLD_ROOT_PASSWORD: "root-password-1" });
    try {
      const line = `keyhold: store sqlite:${join(served, "keyhold.sqlite")}, key ${join(served, "keyhold.key")}`;
      // Written before the server listens; wait for the stream to deliver it rather than poll.
      await new Promise<void>((resolve) => {
        const check = (): void => {
          if (server.stderr().includes(line)) resolve();
        };
        server.child.stderr!.on("data", check);
        check();
      });
      expect(server.stderr()).toContain(line);
    } finally {
      await server.stop();
    }
  });
});
