import { afterEach, describe, expect, it } from "vitest";
import { formatAccessHashFile } from "../src/core/credentials/whm-access-hash.js";
import { CLI_ACTOR } from "../src/core/actor.js";
import { ROOT, createTestApp, nowSeconds, whm, whmStatus, type Auth, type TestApp } from "./harness.js";

// convert_accesshash_to_token as a service (reference §4; issue 3): the access hash becomes a
// full-access token whose plaintext is the hash, safely re-runnable.

let t: TestApp;
afterEach(async () => t?.close());

const NAME = /^accesshash-\d+$/;

async function setting(value: "0" | "1"): Promise<void> {
  await t.keyhold.settings.set(CLI_ACTOR, "allow_deprecated_accesshash", value);
}

async function generate(username = "root"): Promise<string> {
  const view = await t.keyhold.accessHashes.generate(CLI_ACTOR, username);
  expect(view.accesshash).toMatch(/^[0-9a-f]{960}$/);
  return view.accesshash;
}

async function convert(username: string, hash: string) {
  const owner = await t.keyhold.accounts.require(username);
  return t.keyhold.tokens.convertAccessHash(CLI_ACTOR, owner, hash);
}

async function listTokens(auth: Auth = ROOT): Promise<Record<string, any>> {
  const result = await t.whm("api_token_list", {}, auth);
  expect(result.body.metadata.result, result.body.metadata.reason).toBe(1);
  return result.body.data.tokens;
}

describe("convertAccessHash", () => {
  it("makes a full-access token named accesshash-<unix seconds>, with no whitelist and no expiry", async () => {
    t = await createTestApp();
    const hash = await generate();
    t.clock.advance(12_345);
    const result = await convert("root", hash);
    expect(result.status).toBe("imported");
    expect(result.token).toMatchObject({
      owner: "root",
      name: `accesshash-${nowSeconds(t)}`,
      createdAt: t.clock.now(),
      acls: null,
      whitelistIps: null,
      expiresAt: null,
      expired: false,
      origin: "converted",
    });
    expect(result.token.effectiveAcls.rootLevel).toBe(true);
    const tokens = await listTokens();
    expect(Object.keys(tokens)).toEqual([`accesshash-${nowSeconds(t)}`]);
    expect(tokens[`accesshash-${nowSeconds(t)}`]).toMatchObject({ create_time: nowSeconds(t), expires_at: null, whitelist_ips: null, has_full_access: 1 });
  });

  it("keeps the hash working as `whm user:<hash>` after allow_deprecated_accesshash goes back to 0, and leaves the access hash in place", async () => {
    t = await createTestApp();
    await setting("1");
    const hash = await generate();
    expect(await whmStatus(t, "version", whm("root", hash))).toBe(200);
    await setting("0");
    expect(await whmStatus(t, "version", whm("root", hash))).toBe(401);

    const result = await convert("root", hash);
    expect(result.status).toBe("imported");
    expect(t.keyhold.settings.get().allow_deprecated_accesshash).toBe(0);
    expect(await whmStatus(t, "listaccts", whm("root", hash), "198.51.100.4")).toBe(200);
    // It authenticated as the token: the token records the use.
    expect((await listTokens())[result.token.name]).toMatchObject({ last_used_ip: "198.51.100.4", last_used_at: nowSeconds(t) });
    // The access hash itself was not revoked or replaced.
    const view = await t.keyhold.accessHashes.read(CLI_ACTOR, "root");
    expect(view.accesshash).toBe(hash);
    await setting("1");
    expect(await whmStatus(t, "version", whm("root", hash))).toBe(200);
  });

  it("uses the hash with all whitespace removed as the plaintext (the ~/.accesshash file form converts too)", async () => {
    t = await createTestApp();
    const hash = await generate();
    const file = formatAccessHashFile(hash).replace(/\n/g, "\r\n");
    expect(file).toContain("\r\n");
    const result = await convert("root", ` ${file}\t`);
    expect(result.status).toBe("imported");
    expect(await whmStatus(t, "version", whm("root", hash))).toBe(200);
    // The same hash, wrapped differently, is the same token.
    expect((await convert("root", formatAccessHashFile(hash))).status).toBe("exists");
    expect(Object.keys(await listTokens())).toHaveLength(1);
  });

  it("gives a reseller's converted token the reseller's current privileges", async () => {
    t = await createTestApp();
    const created = await t.whm("createacct", { username: "res", password: "res-password-1", domain: "res.example.com", reseller: "1" });
    expect(created.body.metadata.result).toBe(1);
    await t.whm("setacls", { reseller: "res", "acl-list-accts": "1", "acl-manage-api-tokens": "1" });
    const hash = await generate("res");
    const result = await convert("res", hash);
    expect(result.token).toMatchObject({ owner: "res", acls: null, origin: "converted" });
    expect((await t.whm("listaccts", {}, whm("res", hash))).body.metadata.result).toBe(1);
    await t.whm("setacls", { reseller: "res", "acl-manage-api-tokens": "1" });
    expect((await t.whm("listaccts", {}, whm("res", hash))).body.metadata.result).toBe(0);
    // Root's tokens are untouched: the token belongs to the reseller.
    expect(await listTokens()).toEqual({});
    expect(await whmStatus(t, "version", whm("root", hash))).toBe(401);
  });

  it("answers exists on a second run, keeping what an admin changed since, and creates no duplicate", async () => {
    t = await createTestApp();
    const hash = await generate();
    const first = await convert("root", hash);
    expect(first.status).toBe("imported");
    const firstName = first.token.name;

    t.clock.advance(60_000);
    const expires = nowSeconds(t) + 86_400;
    const updated = await t.whm("api_token_update", {
      token_name: firstName,
      new_name: "billing",
      acl: ["list-accts", "create-acct"],
      whitelist_ip: "10.0.0.0/8",
      expires_at: String(expires),
    });
    expect(updated.body.metadata.result, updated.body.metadata.reason).toBe(1);

    t.clock.advance(60_000);
    const second = await convert("root", hash);
    expect(second.status).toBe("exists");
    expect(second.token).toMatchObject({
      name: "billing",
      createdAt: first.token.createdAt,
      acls: ["create-acct", "list-accts"],
      whitelistIps: ["10.0.0.0/8"],
      expiresAt: expires * 1000,
      origin: "converted",
    });
    const tokens = await listTokens();
    expect(Object.keys(tokens)).toEqual(["billing"]);
    expect(tokens.billing).toMatchObject({ expires_at: expires, whitelist_ips: ["10.0.0.0/8"], create_time: Math.floor(first.token.createdAt / 1000) });
    // The admin's restrictions still apply to the hash.
    expect(await whmStatus(t, "version", whm("root", hash), "203.0.113.9")).toBe(401);
    expect((await t.whm("listaccts", {}, whm("root", hash), "10.1.1.1")).body.metadata.result).toBe(1);
    expect((await t.whm("createacct", { username: "zed", password: "zed-password-1", domain: "zed.example.com" }, whm("root", hash), "10.1.1.1")).body.metadata.result).toBe(1);
    expect((await t.whm("setacls", { reseller: "zed" }, whm("root", hash), "10.1.1.1")).body.metadata.result).toBe(0);
  });

  it("retries a taken name as accesshash-<time>-<8 characters of [0-9A-Z]>", async () => {
    t = await createTestApp();
    const taken = `accesshash-${nowSeconds(t)}`;
    const made = await t.whm("api_token_create", { token_name: taken });
    expect(made.body.metadata.result).toBe(1);
    const hash = await generate();
    const result = await convert("root", hash);
    expect(result.status).toBe("imported");
    expect(result.token.name).toMatch(new RegExp(`^accesshash-${nowSeconds(t)}-[0-9A-Z]{8}$`));
    expect(Object.keys(await listTokens()).sort()).toEqual([taken, result.token.name].sort());
    expect(await whmStatus(t, "version", whm("root", hash))).toBe(200);
    expect(await whmStatus(t, "version", whm("root", made.body.data.token))).toBe(200);
  });

  it("converts a regenerated hash in the same second to a second token with a suffixed name", async () => {
    t = await createTestApp();
    const oldHash = await generate();
    const first = await convert("root", oldHash);
    expect(first.token.name).toMatch(NAME);
    const newHash = await generate();
    const second = await convert("root", newHash);
    expect(second.status).toBe("imported");
    expect(second.token.name).toMatch(new RegExp(`^${first.token.name}-[0-9A-Z]{8}$`));
    expect(await whmStatus(t, "version", whm("root", oldHash))).toBe(200);
    expect(await whmStatus(t, "version", whm("root", newHash))).toBe(200);
    expect(Object.keys(await listTokens())).toHaveLength(2);
  });
});
