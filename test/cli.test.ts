import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openKeyhold } from "../src/cli/context.js";
import { resolveStoreLocation } from "../src/config.js";
import { openSqliteStore } from "../src/store/sqlite.js";
import { CLI, runCli } from "./server-process.js";

// Each run starts a Node process (about half a second), so the file gets more time than the default.
describe("the keyhold CLI", { timeout: 60_000 }, () => {
  let dataDir: string;
  let at: string[];

  beforeAll(async () => {
    expect(existsSync(CLI), `${CLI} is missing: run \`npm run build\` first`).toBe(true);
    dataDir = mkdtempSync(join(tmpdir(), "keyhold-cli-"));
    at = ["--data-dir", dataDir];
    // `keyhold serve` creates the store and root; do the same without starting a server.
    const domain = await openKeyhold(resolveStoreLocation({ dataDir }, {}), { create: true });
    try {
      expect(await domain.accounts.ensureRoot("root-password-1")).toBe(true);
    } finally {
      await domain.close();
    }
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  describe("help and usage errors", () => {
    it("prints help and exits 0 for --help, on the program and on subcommands", async () => {
      const [top, sub] = await Promise.all([runCli(["--help"]), runCli(["account", "add", "--help"])]);
      expect(top.code).toBe(0);
      expect(top.stdout).toMatch(/Usage: keyhold/);
      for (const command of ["account", "accesshash", "settings", "audit", "convert-accesshash-to-token", "serve"]) {
        expect(top.stdout).toContain(command);
      }
      expect(sub.code).toBe(0);
      expect(sub.stdout).toMatch(/--password-stdin/);
    });

    it("exits 2 for an unknown command", async () => {
      const run = await runCli(["frobnicate"]);
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(/unknown command 'frobnicate'/);
    });

    it("exits 2 for a missing argument or required option", async () => {
      const [missing, noDomain, noUser] = await Promise.all([
        runCli(["account", "remove", ...at]),
        runCli(["account", "add", "carol", ...at]),
        runCli(["accesshash", "generate", ...at]),
      ]);
      expect(missing.code).toBe(2);
      expect(missing.stderr).toMatch(/missing required argument 'username'/);
      expect(noDomain.code).toBe(2);
      expect(noDomain.stderr).toMatch(/--domain/);
      expect(noUser.code).toBe(2);
      expect(noUser.stderr).toMatch(/missing required argument 'user'/);
    });
  });

  describe("accounts", () => {
    it("adds a reseller with the password from standard input, and lists it", async () => {
      const add = await runCli(["account", "add", "bob", "--domain", "bob.example.com", "--reseller", "--password-stdin", ...at], { input: "bob-password-1\n" });
      expect(add.stderr).toBe("");
      expect(add.code).toBe(0);
      expect(add.stdout).toBe("Created reseller “bob” (bob.example.com).\n");

      const list = await runCli(["account", "list", "--json", ...at]);
      expect(list.code).toBe(0);
      const rows = JSON.parse(list.stdout) as Array<Record<string, unknown>>;
      const bob = rows.find((row) => row.username === "bob");
      expect(bob).toMatchObject({ role: "reseller", owner: "root", domain: "bob.example.com", suspended: false });
      expect(bob?.acls).toContain("manage-api-tokens");
      expect(rows.map((row) => row.username)).toContain("root");
      // No password or hash of one, in any form, in a listing.
      expect(list.stdout).not.toMatch(/bob-password-1|scrypt|password/i);
    });

    it("stored the password it read from standard input (without the newline)", async () => {
      const domain = await openKeyhold(resolveStoreLocation({ dataDir }, {}));
      try {
        const outcome = await domain.verifier.verify({ scheme: "password", username: "bob", password: "bob-password-1" }, { ip: "127.0.0.1" });
        expect(outcome.valid).toBe(true);
      } finally {
        await domain.close();
      }
    });

    it("refuses a duplicate account with exit 1 and a message on stderr", async () => {
      const again = await runCli(["account", "add", "bob", "--domain", "other.example.com", "--password", "bob-password-2", ...at]);
      expect(again.code).toBe(1);
      expect(again.stderr).toBe("error: An account with the username “bob” already exists.\n");
      expect(again.stdout).toBe("");
    });

    it("shows and replaces a reseller's privileges", async () => {
      const shown = await runCli(["account", "acl", "bob", ...at]);
      expect(shown.code).toBe(0);
      expect(shown.stdout).toMatch(/^bob: .*manage-api-tokens/);

      const set = await runCli(["account", "acl", "bob", "list-accts,create-acct", "manage-api-tokens", "--json", ...at]);
      expect(set.code).toBe(0);
      expect(JSON.parse(set.stdout)).toEqual({ username: "bob", role: "reseller", acls: ["create-acct", "list-accts", "manage-api-tokens"] });

      const bad = await runCli(["account", "acl", "bob", "no-such-acl", ...at]);
      expect(bad.code).toBe(1);
      expect(bad.stderr).toBe("error: Invalid ACL(s) specified: no-such-acl\n");
      expect(JSON.parse((await runCli(["account", "acl", "bob", "--json", ...at])).stdout).acls).toEqual(["create-acct", "list-accts", "manage-api-tokens"]);
    });

    it("removes an account, and fails with exit 1 for an unknown one or for root", async () => {
      const add = await runCli(["account", "add", "dave", "--domain", "dave.example.com", "--password", "dave-password-1", ...at]);
      expect(add.code).toBe(0);
      const removed = await runCli(["account", "remove", "dave", ...at]);
      expect(removed.code).toBe(0);
      expect(removed.stdout).toBe("dave account removed\n");
      const rows = JSON.parse((await runCli(["account", "list", "--json", ...at])).stdout) as Array<{ username: string }>;
      expect(rows.map((row) => row.username)).not.toContain("dave");

      const unknown = await runCli(["account", "remove", "dave", ...at]);
      expect(unknown.code).toBe(1);
      expect(unknown.stderr).toBe("error: The account “dave” does not exist.\n");
      const root = await runCli(["account", "remove", "root", ...at]);
      expect(root.code).toBe(1);
      expect(root.stderr).toMatch(/^error: .*root.*cannot be removed/);
    });
  });

  describe("access hashes", () => {
    let written: string;

    it("generates an access hash and writes it as ~/.accesshash (30 lines of 32 hex, mode 0600)", async () => {
      const path = join(dataDir, "bob.accesshash");
      const run = await runCli(["accesshash", "generate", "bob", "--write-file", path, ...at]);
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/^Wrote the access hash of “bob” to .* \(mode 0600\)\.\nAccess Key Signature: ([0-9a-f]{2}:){15}[0-9a-f]{2}\n$/);
      expect(statSync(path).mode & 0o777).toBe(0o600);
      const file = readFileSync(path, "utf8");
      expect(file).toMatch(/^([0-9a-f]{32}\n){30}$/);
      written = file.replace(/\n/g, "");
      // The hash itself went to the file only, not to the terminal.
      expect(run.stdout).not.toContain(written.slice(0, 32));
    });

    it("shows the same hash with its signature as JSON", async () => {
      const run = await runCli(["accesshash", "show", "bob", "--json", ...at]);
      expect(run.code).toBe(0);
      const shown = JSON.parse(run.stdout) as { user: string; accesshash: string; signature: string };
      expect(shown.user).toBe("bob");
      expect(shown.accesshash).toBe(written);
      expect(shown.signature).toBe((written.slice(0, 32).match(/../g) ?? []).join(":"));
    });

    it("refuses an account that is not a reseller with WHM's message", async () => {
      const run = await runCli(["accesshash", "show", "nobody", ...at]);
      expect(run.code).toBe(1);
      expect(run.stderr).toBe("error: User nobody is not a reseller.\n");
      const none = await runCli(["accesshash", "show", "root", ...at]);
      expect(none.code).toBe(1);
      expect(none.stderr).toBe("error: No accesshash exists for root\n");
    });
  });

  describe("settings", () => {
    it("reads and changes a setting, and refuses unknown keys and bad values", async () => {
      const before = await runCli(["settings", "get", "allow_deprecated_accesshash", ...at]);
      expect(before.code).toBe(0);
      expect(before.stdout).toBe("0\n");

      const set = await runCli(["settings", "set", "allow_deprecated_accesshash", "1", ...at]);
      expect(set.code).toBe(0);
      expect(set.stdout).toBe("allow_deprecated_accesshash = 1\n");
      expect(JSON.parse((await runCli(["settings", "get", "allow_deprecated_accesshash", "--json", ...at])).stdout)).toEqual({ key: "allow_deprecated_accesshash", value: 1 });

      const all = JSON.parse((await runCli(["settings", "get", "--json", ...at])).stdout) as Array<{ key: string; value: number; default: number }>;
      expect(all.find((row) => row.key === "allow_deprecated_accesshash")).toMatchObject({ value: 1, default: 0 });
      expect(all.find((row) => row.key === "max_failures_byip")).toMatchObject({ value: 5, default: 5 });

      const bad = await runCli(["settings", "set", "allow_deprecated_accesshash", "2", ...at]);
      expect(bad.code).toBe(1);
      expect(bad.stderr).toBe("error: Invalid value for “allow_deprecated_accesshash”: use 0 or 1.\n");
      const unknown = await runCli(["settings", "set", "no_such_setting", "1", ...at]);
      expect(unknown.code).toBe(1);
      expect(unknown.stderr).toMatch(/^error: Unknown setting “no_such_setting”/);
      expect((await runCli(["settings", "get", "allow_deprecated_accesshash", ...at])).stdout).toBe("1\n");
    });
  });

  describe("audit log", () => {
    it("lists what the CLI changed, newest first, and never the access hash", async () => {
      const run = await runCli(["audit", "list", "--json", ...at]);
      expect(run.code).toBe(0);
      const entries = JSON.parse(run.stdout) as Array<{ at: string; actor: string; ip: string; action: string; target: string; outcome: string }>;
      const actions = entries.map((entry) => `${entry.action} ${entry.target}`);
      expect(actions).toEqual(expect.arrayContaining(["account.create bob", "account.remove dave", "accesshash.generate bob", "account.acls bob"]));
      expect(entries.find((entry) => entry.action === "accesshash.generate")).toMatchObject({ actor: "root", ip: "cli", outcome: "success" });
      const times = entries.map((entry) => Date.parse(entry.at));
      expect(times).toEqual([...times].sort((a, b) => b - a));

      const hash = JSON.parse((await runCli(["accesshash", "show", "bob", "--json", ...at])).stdout).accesshash as string;
      for (const fragment of hash.match(/.{32}/g) ?? []) expect(run.stdout).not.toContain(fragment);
      expect(run.stdout).not.toContain("bob-password-1");

      const filtered = JSON.parse((await runCli(["audit", "list", "--json", "--action", "account.remove", ...at])).stdout) as Array<{ action: string }>;
      expect(filtered.length).toBeGreaterThan(0);
      expect(filtered.every((entry) => entry.action === "account.remove")).toBe(true);
      expect((await runCli(["audit", "list", "--limit", "0", ...at])).code).toBe(2);
    });
  });

  describe("convert-accesshash-to-token", () => {
    async function tokensOf(username: string) {
      const store = await openSqliteStore(join(dataDir, "keyhold.sqlite"));
      try {
        const account = await store.getAccountByUsername(username);
        return account === null ? [] : await store.listApiTokens(account.id);
      } finally {
        await store.close();
      }
    }

    // --verbose is global: besides the per-user lines it names the store, on stderr.
    const storeLine = (): string => `keyhold: store sqlite:${join(dataDir, "keyhold.sqlite")}, key ${join(dataDir, "keyhold.key")}\n`;

    it("skips root silently when root has no access hash", async () => {
      const run = await runCli(["convert-accesshash-to-token", "--verbose", ...at]);
      expect(run).toEqual({ code: 0, stdout: "", stderr: storeLine() });
      expect(await tokensOf("root")).toEqual([]);
    });

    it("turns an access hash into a full-access token and says so with --verbose", async () => {
      const generated = await runCli(["accesshash", "generate", "root", "--json", ...at]);
      expect(generated.code).toBe(0);
      const run = await runCli(["convert-accesshash-to-token", "--verbose", "root", "bob", ...at]);
      expect(run.stderr).toBe(storeLine());
      expect(run.code).toBe(0);
      const lines = run.stdout.trimEnd().split("\n");
      expect(lines).toHaveLength(2);
      expect(lines[0]).toMatch(/^Imported accesshash for “root” as “accesshash-\d+”$/);
      expect(lines[1]).toMatch(/^Imported accesshash for “bob” as “accesshash-\d+”$/);

      const [token] = await tokensOf("bob");
      expect(await tokensOf("bob")).toHaveLength(1);
      expect(token).toMatchObject({ acls: null, whitelistIps: null, expiresAt: null, origin: "converted" });
      expect(lines[1]).toContain(`“${token!.name}”`);
      // The access hash itself stays.
      expect((await runCli(["accesshash", "show", "bob", ...at])).code).toBe(0);
    });

    it("says a user is already converted on a second run and makes no duplicate", async () => {
      const [before] = await tokensOf("bob");
      const run = await runCli(["convert-accesshash-to-token", "--verbose", "bob", ...at]);
      expect(run.code).toBe(0);
      expect(run.stdout).toBe(`The accesshash for “bob” is already converted, as “${before!.name}”; left unchanged.\n`);
      expect(await tokensOf("bob")).toEqual([before]);
      const all = await runCli(["convert-accesshash-to-token", "--all-resellers", ...at]);
      expect(all.code).toBe(0);
      expect(all.stdout).toMatch(/already converted/);
      expect(await tokensOf("bob")).toHaveLength(1);
    });

    it("reports an unknown user on stderr and exits 1, still converting the others", async () => {
      const fresh = await runCli(["account", "add", "erin", "--domain", "erin.example.com", "--reseller", "--password", "erin-password-1", ...at]);
      expect(fresh.code).toBe(0);
      expect((await runCli(["accesshash", "generate", "erin", ...at])).code).toBe(0);
      const run = await runCli(["convert-accesshash-to-token", "--verbose", "nobody", "erin", ...at]);
      expect(run.code).toBe(1);
      expect(run.stderr).toBe(`${storeLine()}error: nobody: User nobody is not a reseller.\n`);
      expect(run.stdout).toMatch(/^Imported accesshash for “erin” as “accesshash-\d+”\n$/);
      expect(await tokensOf("erin")).toHaveLength(1);
    });
  });
});
