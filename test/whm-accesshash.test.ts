import { afterEach, describe, expect, it } from "vitest";
import { DEFAULT_RESELLER_ACLS } from "../src/core/acl.js";
import { ROOT, accountFixtures, basic, basicHeader, createTestApp, passwordOf, whmStatus, type Auth, type TestApp, type TestAppOptions, type WhmResult } from "./harness.js";

// WHM API 1 `accesshash` and access-hash authentication (reference §1, §2.3; issue 2).

let t: TestApp;
afterEach(async () => t?.close());
const { createReseller, createUser } = accountFixtures(() => t);

const ENABLED: TestAppOptions = { settings: { allow_deprecated_accesshash: "1" } };
const REMOTE = "203.0.113.7";
const HASH = /^[0-9a-f]{960}$/;

function expectHash(result: WhmResult): string {
  expect(result.status, JSON.stringify(result.body)).toBe(200);
  expect(result.body.metadata).toEqual({ command: "accesshash", reason: "OK", result: 1, version: 1 });
  const hash = result.body.data.accesshash as string;
  expect(hash).toMatch(HASH);
  expect(hash).not.toMatch(/\s/);
  return hash;
}

function expectRefused(result: WhmResult, reason: string | RegExp): void {
  expect(result.status, JSON.stringify(result.body)).toBe(200);
  expect(result.body.metadata.command).toBe("accesshash");
  expect(result.body.metadata.result).toBe(0);
  if (typeof reason === "string") expect(result.body.metadata.reason).toBe(reason);
  else expect(result.body.metadata.reason).toMatch(reason);
  expect(result.body.data?.accesshash ?? null).toBeNull();
  expect(result.response.body).not.toMatch(/[0-9a-f]{64}/);
}

async function generate(user?: string, auth: Auth = ROOT): Promise<string> {
  return expectHash(await t.whm("accesshash", { ...(user === undefined ? {} : { user }), generate: "1" }, auth));
}

function versionStatus(auth: Auth, remoteAddress = "127.0.0.1"): Promise<number> {
  return whmStatus(t, "version", auth, remoteAddress);
}

describe("accesshash: reading and generating (§1.2, §1.3)", () => {
  it("generates 960 lowercase hex characters with no whitespace", async () => {
    t = await createTestApp(ENABLED);
    const result = await t.whm("accesshash", { user: "root", generate: "1" });
    const hash = expectHash(result);
    expect(hash).toHaveLength(960);
    expect(Object.keys(result.body.data)).toEqual(["accesshash"]);
  });

  it("reads back the hash it generated", async () => {
    t = await createTestApp(ENABLED);
    const generated = await generate("root");
    expect(expectHash(await t.whm("accesshash", { user: "root", generate: "0" }))).toBe(generated);
    expect(expectHash(await t.whm("accesshash", { user: "root" }))).toBe(generated);
  });

  it("user defaults to the caller when missing or empty", async () => {
    t = await createTestApp(ENABLED);
    const generated = await generate(undefined);
    expect(expectHash(await t.whm("accesshash", {}))).toBe(generated);
    expect(expectHash(await t.whm("accesshash", { user: "" }))).toBe(generated);
    expect(expectHash(await t.whm("accesshash", { user: "root" }))).toBe(generated);

    await createReseller("res");
    const resellers = await generate("", basic("res"));
    expect(resellers).not.toBe(generated);
    expect(expectHash(await t.whm("accesshash", {}, basic("res")))).toBe(resellers);
    expect(expectHash(await t.whm("accesshash", { user: "res" }))).toBe(resellers);
  });

  it("treats any true generate value as generate, and 0 or empty as read", async () => {
    t = await createTestApp(ENABLED);
    const first = await generate("root");
    expect(expectHash(await t.whm("accesshash", { generate: "" }))).toBe(first);
    const second = expectHash(await t.whm("accesshash", { generate: "yes" }));
    expect(second).not.toBe(first);
  });

  it("gives each generation a different hash", async () => {
    t = await createTestApp(ENABLED);
    const hashes = new Set<string>();
    for (let i = 0; i < 5; i++) hashes.add(await generate("root"));
    expect(hashes.size).toBe(5);
  });

  it("regenerating invalidates the old hash at once", async () => {
    t = await createTestApp(ENABLED);
    const old = await generate("root");
    expect(await versionStatus({ whm: ["root", old] })).toBe(200);
    const fresh = await generate("root");
    expect(fresh).not.toBe(old);
    expect(await versionStatus({ whm: ["root", old] })).toBe(401);
    expect(await versionStatus({ whm: ["root", fresh] })).toBe(200);
    expect(expectHash(await t.whm("accesshash", {}))).toBe(fresh);
  });

  it("records generation in the audit log without the hash", async () => {
    t = await createTestApp(ENABLED);
    const hash = await generate("root");
    const entries = await t.keyhold.audit.list({ limit: 100 });
    expect(entries.some((entry) => entry.action === "accesshash.generate" && entry.target === "root")).toBe(true);
    const text = JSON.stringify(entries);
    expect(text).not.toContain(hash);
    expect(text).not.toContain(hash.slice(0, 32));
  });

  it("keeps the hash out of the database in clear", async () => {
    t = await createTestApp(ENABLED);
    const hash = await generate("root");
    const id = (await t.store.getAccountByUsername("root"))!.id;
    const record = await t.store.getAccessHash(id);
    expect(record).not.toBeNull();
    expect(JSON.stringify(record)).not.toContain(hash.slice(0, 32));
  });
});

describe("accesshash: errors with WHM's exact strings (§1.4)", () => {
  it("No accesshash exists for <user>", async () => {
    t = await createTestApp(ENABLED);
    expectRefused(await t.whm("accesshash", {}), "No accesshash exists for root");
    expectRefused(await t.whm("accesshash", { user: "root", generate: "0" }), "No accesshash exists for root");
    await createReseller("res");
    expectRefused(await t.whm("accesshash", { user: "res" }), "No accesshash exists for res");
    expectRefused(await t.whm("accesshash", {}, basic("res")), "No accesshash exists for res");
  });

  it("User <user> is not a reseller. — for a plain account and for an unknown user", async () => {
    t = await createTestApp(ENABLED);
    await createUser("plain");
    expectRefused(await t.whm("accesshash", { user: "plain" }), "User plain is not a reseller.");
    expectRefused(await t.whm("accesshash", { user: "plain", generate: "1" }), "User plain is not a reseller.");
    expectRefused(await t.whm("accesshash", { user: "ghost" }), "User ghost is not a reseller.");
    expectRefused(await t.whm("accesshash", { user: "ghost", generate: "1" }), "User ghost is not a reseller.");
    expect(await t.store.getAccountByUsername("ghost")).toBeNull();
  });

  it("echoes a hostile user name safely", async () => {
    t = await createTestApp(ENABLED);
    const result = await t.whm("accesshash", { user: "Bad\nName" });
    expectRefused(result, /^User .* is not a reseller\.$/);
    expect(result.body.metadata.reason).not.toContain("\n");
  });

  it("You do not have access to load / generate another user's accesshash", async () => {
    t = await createTestApp(ENABLED);
    await createReseller("res");
    await createReseller("other");
    await createUser("plain");
    const rootHash = await generate("root");
    const otherHash = await generate("other");

    const load = "You do not have access to load another user's accesshash";
    const gen = "You do not have access to generate another user's accesshash";
    expectRefused(await t.whm("accesshash", { user: "root" }, basic("res")), load);
    expectRefused(await t.whm("accesshash", { user: "other" }, basic("res")), load);
    expectRefused(await t.whm("accesshash", { user: "root", generate: "1" }, basic("res")), gen);
    expectRefused(await t.whm("accesshash", { user: "other", generate: "1" }, basic("res")), gen);
    // For another user the access check comes first, whether the target exists or not.
    expectRefused(await t.whm("accesshash", { user: "plain" }, basic("res")), load);
    expectRefused(await t.whm("accesshash", { user: "ghost", generate: "1" }, basic("res")), gen);

    // Nothing was replaced.
    expect(expectHash(await t.whm("accesshash", { user: "root" }))).toBe(rootHash);
    expect(expectHash(await t.whm("accesshash", { user: "other" }))).toBe(otherHash);
  });

  it("a reseller that owns an account still may not act on that account's hash", async () => {
    t = await createTestApp(ENABLED);
    await createReseller("res");
    await createReseller("sub");
    const created = await t.whm("createacct", { username: "child", password: passwordOf("child"), domain: "child.example.com", owner: "res" });
    expect(created.body.metadata.result).toBe(1);
    expectRefused(await t.whm("accesshash", { user: "child" }, basic("res")), "You do not have access to load another user's accesshash");
  });
});

describe("accesshash: who may call it (§1.5)", () => {
  it("root may read and generate a reseller's hash", async () => {
    t = await createTestApp(ENABLED);
    await createReseller("res");
    const own = await generate(undefined, basic("res"));
    expect(expectHash(await t.whm("accesshash", { user: "res" }))).toBe(own);
    const replaced = await generate("res");
    expect(replaced).not.toBe(own);
    expect(await versionStatus({ whm: ["res", own] })).toBe(401);
    expect(await versionStatus({ whm: ["res", replaced] })).toBe(200);
    expect(expectHash(await t.whm("accesshash", {}, basic("res")))).toBe(replaced);
  });

  it("a root-level reseller (acl all) may act on other resellers and root", async () => {
    t = await createTestApp(ENABLED);
    await createReseller("boss", { acls: ["all"] });
    await createReseller("res");
    const resHash = await generate("res", basic("boss"));
    expect(expectHash(await t.whm("accesshash", { user: "res" }, basic("boss")))).toBe(resHash);
    const rootHash = await generate("root", basic("boss"));
    expect(await versionStatus({ whm: ["root", rootHash] })).toBe(200);
  });

  it("a reseller without manage-api-tokens is refused, even for itself", async () => {
    t = await createTestApp(ENABLED);
    await createReseller("res", { acls: DEFAULT_RESELLER_ACLS.filter((acl) => acl !== "manage-api-tokens") });
    const own = await t.whm("accesshash", { generate: "1" }, basic("res"));
    expectRefused(own, /manage-api-tokens/);
    expectRefused(await t.whm("accesshash", {}, basic("res")), /manage-api-tokens/);
    const id = (await t.store.getAccountByUsername("res"))!.id;
    expect(await t.store.getAccessHash(id)).toBeNull();
  });

  it("is refused while allow_deprecated_accesshash is 0, the default", async () => {
    t = await createTestApp();
    expect(t.keyhold.settings.get().allow_deprecated_accesshash).toBe(0);
    const result = await t.whm("accesshash", { generate: "1" });
    expectRefused(result, /allow_deprecated_accesshash/);
    expectRefused(await t.whm("accesshash", {}), /allow_deprecated_accesshash/);
    const id = (await t.store.getAccountByUsername("root"))!.id;
    expect(await t.store.getAccessHash(id)).toBeNull();

    expect((await t.whm("set_tweaksetting", { key: "allow_deprecated_accesshash", value: "1" })).body.metadata.result).toBe(1);
    await generate("root");
    expect((await t.whm("set_tweaksetting", { key: "allow_deprecated_accesshash", value: "0" })).body.metadata.result).toBe(1);
    expectRefused(await t.whm("accesshash", {}), /allow_deprecated_accesshash/);
  });
});

describe("access-hash authentication (§2.3)", () => {
  it("accepts Authorization: WHM user:hash and lower-case whm", async () => {
    t = await createTestApp(ENABLED);
    const hash = await generate("root");
    expect(await versionStatus({ header: `WHM root:${hash}` })).toBe(200);
    expect(await versionStatus({ header: `whm root:${hash}` })).toBe(200);
    expect(await versionStatus({ header: `Whm root:${hash}` })).toBe(200);
    const privs = await t.whm("myprivs", {}, { header: `whm root:${hash}` });
    expect(privs.body.data.privileges[0].all).toBe(1);
  });

  it("accepts the hash with its line breaks removed, or with whitespace left between its lines", async () => {
    t = await createTestApp(ENABLED);
    const hash = await generate("root");
    const lines = hash.match(/.{32}/g)!;
    expect(lines).toHaveLength(30);
    // The ~/.accesshash file's text with CR/LF stripped, as cPanel::PublicAPI and WHMCS send it.
    const fileText = lines.map((line) => `${line}\r\n`).join("");
    expect(await versionStatus({ whm: ["root", fileText.replace(/[\r\n]/g, "")] })).toBe(200);
    // Whitespace a client left in (e.g. newlines turned into spaces) is ignored, as WHM's tools strip it.
    expect(await versionStatus({ whm: ["root", lines.join(" ")] })).toBe(200);
    expect(await versionStatus({ whm: ["root", `${lines.join("  ")}   `] })).toBe(200);
  });

  it("refuses a wrong, truncated or altered hash with 401", async () => {
    t = await createTestApp(ENABLED);
    const hash = await generate("root");
    const flipped = (hash[0] === "a" ? "b" : "a") + hash.slice(1);
    expect(await versionStatus({ whm: ["root", flipped] })).toBe(401);
    expect(await versionStatus({ whm: ["root", hash.slice(0, 959)] })).toBe(401);
    expect(await versionStatus({ whm: ["root", `${hash}0`] })).toBe(401);
    expect(await versionStatus({ whm: ["root", hash.toUpperCase()] })).toBe(401);
  });

  it("authenticates only the hash's own account", async () => {
    t = await createTestApp(ENABLED);
    await createReseller("res");
    const rootHash = await generate("root");
    const resHash = await generate(undefined, basic("res"));
    expect(await versionStatus({ whm: ["res", rootHash] })).toBe(401);
    expect(await versionStatus({ whm: ["root", resHash] })).toBe(401);
    const privs = await t.whm("myprivs", {}, { whm: ["res", resHash] });
    expect(privs.status).toBe(200);
    expect(privs.body.data.privileges[0].all).toBe(0);
  });

  it("works only while allow_deprecated_accesshash is 1", async () => {
    t = await createTestApp(ENABLED);
    const hash = await generate("root");
    expect(await versionStatus({ whm: ["root", hash] })).toBe(200);

    expect((await t.whm("set_tweaksetting", { key: "allow_deprecated_accesshash", value: "0" })).body.metadata.result).toBe(1);
    const refused = await t.whm("version", {}, { whm: ["root", hash] });
    expect(refused.status).toBe(401);
    expect(refused.response.body).not.toContain(hash);

    expect((await t.whm("set_tweaksetting", { key: "allow_deprecated_accesshash", value: "1" })).body.metadata.result).toBe(1);
    expect(await versionStatus({ whm: ["root", hash] })).toBe(200);
  });

  it("works for resellers, and stops when the account is no longer a reseller", async () => {
    t = await createTestApp(ENABLED);
    await createReseller("res");
    const hash = await generate(undefined, basic("res"));
    expect(await versionStatus({ whm: ["res", hash] })).toBe(200);
    expect((await t.whm("unsetupreseller", { user: "res" })).body.metadata.result).toBe(1);
    expect(await versionStatus({ whm: ["res", hash] })).toBe(401);
    expectRefused(await t.whm("accesshash", { user: "res" }), "User res is not a reseller.");
  });

  it("a suspended reseller's hash does not authenticate", async () => {
    t = await createTestApp(ENABLED);
    await createReseller("res");
    const hash = await generate("res");
    expect((await t.whm("suspendacct", { user: "res" })).body.metadata.result).toBe(1);
    expect(await versionStatus({ whm: ["res", hash] })).toBe(401);
    expect((await t.whm("unsuspendacct", { user: "res" })).body.metadata.result).toBe(1);
    expect(await versionStatus({ whm: ["res", hash] })).toBe(200);
  });

  it("a hash-authenticated caller may read and regenerate its own hash", async () => {
    t = await createTestApp(ENABLED);
    const hash = await generate("root");
    expect(expectHash(await t.whm("accesshash", {}, { whm: ["root", hash] }))).toBe(hash);
    const fresh = expectHash(await t.whm("accesshash", { generate: "1" }, { whm: ["root", hash] }));
    expect(await versionStatus({ whm: ["root", hash] })).toBe(401);
    expect(await versionStatus({ whm: ["root", fresh] })).toBe(200);
  });
});

describe("the hash is never sent over plain HTTP to a remote client", () => {
  it("refuses reading or generating from a non-loopback address over plain HTTP", async () => {
    t = await createTestApp(ENABLED);
    const hash = await generate("root");
    const read = await t.whm("accesshash", {}, ROOT, REMOTE);
    expect(read.body.metadata.result).toBe(0);
    expect(read.body.metadata.reason).toMatch(/HTTPS/);
    expect(read.response.body).not.toContain(hash);
    expect(read.response.body).not.toMatch(/[0-9a-f]{64}/);

    const generated = await t.whm("accesshash", { generate: "1" }, ROOT, REMOTE);
    expect(generated.body.metadata.result).toBe(0);
    expect(generated.response.body).not.toMatch(/[0-9a-f]{64}/);
    // The refused generate did not replace the hash either.
    expect(expectHash(await t.whm("accesshash", {}))).toBe(hash);
    expect(await versionStatus({ whm: ["root", hash] })).toBe(200);
  });

  it("allows it from a remote address when the operator opts in with insecureHttp", async () => {
    t = await createTestApp({ ...ENABLED, http: { insecureHttp: true } });
    const hash = expectHash(await t.whm("accesshash", { generate: "1" }, ROOT, REMOTE));
    expect(expectHash(await t.whm("accesshash", {}, ROOT, REMOTE))).toBe(hash);
  });

  it("allows IPv6 loopback", async () => {
    t = await createTestApp(ENABLED);
    expectHash(await t.whm("accesshash", { generate: "1" }, ROOT, "::1"));
  });

  it("allows it when a trusted proxy reports that the client used HTTPS", async () => {
    t = await createTestApp({ ...ENABLED, http: { trustProxy: ["127.0.0.1"] } });
    const viaProxy = (proto: string) =>
      t.app.inject({
        method: "POST",
        url: "/json-api/accesshash",
        headers: {
          "content-type": "application/x-www-form-urlencoded",
          authorization: basicHeader("root", "root-password-1"),
          "x-forwarded-for": REMOTE,
          "x-forwarded-proto": proto,
        },
        payload: "api.version=1&generate=1",
        remoteAddress: "127.0.0.1",
      });
    const secure = await viaProxy("https");
    expect(secure.json().metadata.result).toBe(1);
    expect(secure.json().data.accesshash).toMatch(HASH);
    const plain = await viaProxy("http");
    expect(plain.json().metadata.result).toBe(0);
    expect(plain.body).not.toMatch(/[0-9a-f]{64}/);
  });

  it("ignores X-Forwarded-Proto from a client that is not a trusted proxy", async () => {
    t = await createTestApp(ENABLED);
    const response = await t.app.inject({
      method: "POST",
      url: "/json-api/accesshash",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        authorization: `Basic ${Buffer.from("root:root-password-1").toString("base64")}`,
        "x-forwarded-proto": "https",
        "x-forwarded-for": "127.0.0.1",
      },
      payload: "api.version=1&generate=1",
      remoteAddress: REMOTE,
    });
    expect(response.json().metadata.result).toBe(0);
    expect(response.body).not.toMatch(/[0-9a-f]{64}/);
  });

  it("still lets a remote client authenticate with the hash it already has", async () => {
    t = await createTestApp(ENABLED);
    const hash = await generate("root");
    expect(await versionStatus({ whm: ["root", hash] }, REMOTE)).toBe(200);
  });
});
