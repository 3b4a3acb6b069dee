import { afterEach, describe, expect, it } from "vitest";
import { CLI_ACTOR } from "../src/core/actor.js";
import { readCpanelSnapshot } from "../src/core/cpanel-files.js";
import { importCpanelSnapshot, type ImportLine } from "../src/core/cpanel-import.js";
import { BOB_ACCESSHASH, CPANEL_TOKENS, ROOT_ACCESSHASH, goodCpanelFiles, sha512, writeCpanelTree } from "./fixtures/cpanel-tree.js";
import { createTestApp, type TestApp } from "./harness.js";

let t: TestApp;
afterEach(async () => t?.close());

async function runImport(root: string, dryRun = false): Promise<ImportLine[]> {
  return importCpanelSnapshot(t.keyhold, CLI_ACTOR, readCpanelSnapshot(root), { dryRun });
}

function outcomeOf(report: ImportLine[], subject: string): ImportLine | undefined {
  return report.find((line) => line.subject === subject);
}

describe("import-cpanel", () => {
  it("creates resellers, imports tokens by hash and access hashes, and takes the setting", async () => {
    t = await createTestApp();
    const report = await runImport(writeCpanelTree(goodCpanelFiles(t.clock.now())));

    expect(outcomeOf(report, "account bob")).toMatchObject({ outcome: "created" });
    expect(outcomeOf(report, "account bob")?.detail).toContain("some-plugin-acl");
    expect(outcomeOf(report, "account carol")).toMatchObject({ outcome: "created" });
    expect(outcomeOf(report, "token root/billing")).toMatchObject({ outcome: "imported" });
    expect(outcomeOf(report, "token bob/dns")).toMatchObject({ outcome: "imported" });
    expect(outcomeOf(report, "token bob/old")).toMatchObject({ outcome: "imported", detail: "already expired" });
    expect(outcomeOf(report, "access hash root")).toMatchObject({ outcome: "imported" });
    expect(outcomeOf(report, "setting allow_deprecated_accesshash")).toMatchObject({ outcome: "set" });
    expect(t.keyhold.settings.get().allow_deprecated_accesshash).toBe(1);

    const bob = await t.store.getAccountByUsername("bob");
    expect(bob).toMatchObject({ role: "reseller", hasPassword: false, acls: ["create-acct", "list-accts", "manage-api-tokens"] });
    expect((await t.store.getAccountByUsername("carol"))?.acls).toEqual(["all"]);

    const billing = await t.store.getApiTokenByName((await t.store.getAccountByUsername("root"))!.id, "billing");
    expect(billing).toMatchObject({
      digest: sha512(CPANEL_TOKENS.rootBilling),
      acls: ["create-acct", "list-accts"],
      whitelistIps: ["192.0.2.8/29", "fc00:abcd:0000:0000:0000:0000:0000:000f"],
      origin: "imported",
    });
  });

  it("lets imported tokens and access hashes authenticate unchanged", async () => {
    t = await createTestApp();
    await runImport(writeCpanelTree(goodCpanelFiles(t.clock.now())));

    const dns = await t.whm("myprivs", {}, { whm: ["bob", CPANEL_TOKENS.bobDns] });
    expect(dns.status).toBe(200);
    expect(dns.body.data.privileges[0]["list-accts"]).toBe(1);

    const billingFromWhitelist = await t.whm("listaccts", {}, { whm: ["root", CPANEL_TOKENS.rootBilling] }, "192.0.2.9");
    expect(billingFromWhitelist.status).toBe(200);
    expect(billingFromWhitelist.body.metadata.result).toBe(1);
    const billingElsewhere = await t.whm("listaccts", {}, { whm: ["root", CPANEL_TOKENS.rootBilling] }, "198.51.100.1");
    expect(billingElsewhere.status).toBe(401);

    expect((await t.whm("version", {}, { whm: ["bob", CPANEL_TOKENS.bobExpired] })).status).toBe(401);
    expect((await t.whm("version", {}, { whm: ["root", ROOT_ACCESSHASH] })).status).toBe(200);
    expect((await t.whm("version", {}, { whm: ["bob", BOB_ACCESSHASH] })).status).toBe(200);
  });

  it("is safe to run twice and keeps what an admin changed since", async () => {
    t = await createTestApp();
    const root = writeCpanelTree(goodCpanelFiles(t.clock.now()));
    await runImport(root);
    const renamed = await t.whm("api_token_update", { token_name: "dns", new_name: "dns-renamed" }, { whm: ["bob", CPANEL_TOKENS.bobDns] });
    expect(renamed.body.metadata.result).toBe(1);

    const second = await runImport(root);
    expect(second.filter((line) => line.outcome === "created" || line.outcome === "imported")).toEqual([]);
    expect(outcomeOf(second, "token bob/dns")?.detail).toContain("dns-renamed");
    expect(outcomeOf(second, "access hash root")?.detail).toBe("already imported");
    const bob = await t.store.getAccountByUsername("bob");
    expect((await t.store.listApiTokens(bob!.id)).map((token) => token.name)).toEqual(["dns-renamed", "old"]);
  });

  it("changes nothing in a dry run", async () => {
    t = await createTestApp();
    const report = await runImport(writeCpanelTree(goodCpanelFiles(t.clock.now())), true);
    expect(outcomeOf(report, "account bob")).toMatchObject({ outcome: "created" });
    expect(outcomeOf(report, "token bob/dns")).toMatchObject({ outcome: "imported", detail: "dry run" });
    expect(await t.store.getAccountByUsername("bob")).toBeNull();
    expect((await t.keyhold.counts()).apiTokens).toBe(0);
    expect(t.keyhold.settings.get().allow_deprecated_accesshash).toBe(0);
  });

  it("reports malformed files by path and line and skips each of them whole", async () => {
    t = await createTestApp();
    const files = goodCpanelFiles(t.clock.now());
    const goodBob = JSON.parse(files["var/cpanel/authn/api_tokens_v2/whostmgr/bob.json"]!) as { tokens: Record<string, { name: string }> };
    const [firstDigest] = Object.keys(goodBob.tokens);
    goodBob.tokens[firstDigest!]!.name = "bad name!";
    const root = writeCpanelTree({
      ...files,
      "var/cpanel/authn/api_tokens_v2/whostmgr/root.json": '{\n  "tokens": {\n    "abc": \n}',
      "var/cpanel/authn/api_tokens_v2/whostmgr/bob.json": JSON.stringify(goodBob, null, 2),
      "home/bob/.accesshash": "0123\nnot-hex-at-all\n",
    });
    const report = await runImport(root);
    const errors = report.filter((line) => line.outcome === "error");
    expect(errors.map((line) => line.subject)).toEqual([
      expect.stringMatching(/whostmgr\/bob\.json:\d+$/),
      expect.stringMatching(/whostmgr\/root\.json:4$/),
      expect.stringMatching(/home\/bob\/\.accesshash:2$/),
    ]);
    // Bob's file had one bad entry: none of its tokens was imported.
    const bob = await t.store.getAccountByUsername("bob");
    expect(await t.store.listApiTokens(bob!.id)).toEqual([]);
    expect(await t.store.getAccessHash(bob!.id)).toBeNull();
    expect(outcomeOf(report, "access hash root")).toMatchObject({ outcome: "imported" });
  });

  it("skips tokens of users who are neither root nor resellers", async () => {
    t = await createTestApp();
    await t.whm("createacct", { username: "plain", password: "plain-password-1", domain: "plain.example.com" });
    const root = writeCpanelTree({
      "var/cpanel/authn/api_tokens_v2/whostmgr/plain.json": JSON.stringify({ tokens: { [sha512("X")]: { name: "x", create_time: 1 } } }),
      "var/cpanel/authn/api_tokens_v2/whostmgr/ghost.json": JSON.stringify({ tokens: { [sha512("Y")]: { name: "y", create_time: 1 } } }),
    });
    const report = await runImport(root);
    expect(outcomeOf(report, "token plain/x")).toMatchObject({ outcome: "skipped" });
    expect(outcomeOf(report, "token ghost/y")).toMatchObject({ outcome: "skipped" });
    expect((await t.keyhold.counts()).apiTokens).toBe(0);
  });
});

describe("import-cpanel with items Keyhold cannot take", () => {
  it("skips a reserved reseller name and an access hash held by two accounts, and imports the rest", async () => {
    t = await createTestApp();
    const files = goodCpanelFiles(t.clock.now());
    files["var/cpanel/resellers"] = `test:list-accts\n${files["var/cpanel/resellers"]}`;
    files["home/bob/.accesshash"] = files["root/.accesshash"]!;
    const root = writeCpanelTree(files);

    for (const dryRun of [true, false]) {
      const report = await runImport(root, dryRun);
      expect(outcomeOf(report, "account test"), `dry run ${dryRun}`).toMatchObject({ outcome: "skipped", detail: "The username “test” is reserved." });
      expect(outcomeOf(report, "account bob")).toMatchObject({ outcome: "created" });
      expect(outcomeOf(report, "token bob/dns")).toMatchObject({ outcome: "imported" });
      expect(outcomeOf(report, "setting allow_deprecated_accesshash")).toMatchObject({ outcome: "set" });
    }
    expect(t.keyhold.settings.get().allow_deprecated_accesshash).toBe(1);
    expect(await t.store.getAccountByUsername("test")).toBeNull();

    // The hash went to root, the first to claim it; bob's copy is reported, not imported.
    const again = await runImport(root);
    expect(outcomeOf(again, "access hash root")).toMatchObject({ outcome: "skipped", detail: "already imported" });
    expect(outcomeOf(again, "access hash bob")).toMatchObject({ outcome: "skipped", detail: "another account already holds this same access hash; not imported" });
    const bob = await t.store.getAccountByUsername("bob");
    expect(await t.store.getAccessHash(bob!.id)).toBeNull();
    expect((await t.keyhold.accessHashes.read(CLI_ACTOR, "root")).accesshash).toBe(ROOT_ACCESSHASH);
  });
});
