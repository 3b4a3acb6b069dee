import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { settingsCommand } from "../../src/cli/commands/settings.js";
import { openKeyhold } from "../../src/cli/context.js";
import { resolveStoreLocation } from "../../src/config.js";
import { CLI_ACTOR } from "../../src/core/actor.js";
import { ROOT_PASSWORD, basicHeader, createTestApp, whmVersion, type TestApp } from "../harness.js";

// Issue 11 item 8: a billing system still sending its old access hash after
// allow_deprecated_accesshash went to 0 locked its own address out in ~20 calls, and its valid
// token then got 429. A real credential refused by policy is no guess: it is answered with its
// reason and not counted. And cPHulk's trusted list: addresses never counted or blocked.

let t: TestApp | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

const BILLING = "192.0.2.40";

async function token(app: TestApp, name: string, expiresAt?: string): Promise<string> {
  return (await app.keyhold.tokens.create(CLI_ACTOR, "root", { name, ...(expiresAt === undefined ? {} : { expiresAt }) })).token;
}

describe("a stale credential does not take down a working one", () => {
  it("an access hash sent after allow_deprecated_accesshash=0: 25 calls answered with the reason, the token still works", async () => {
    const app = (t = await createTestApp({ settings: { allow_deprecated_accesshash: "1" } }));
    const hash = (await app.whm("accesshash", { generate: "1" })).body.data.accesshash as string;
    const working = await token(app, "billing");
    expect((await app.whm("set_tweaksetting", { key: "allow_deprecated_accesshash", value: "0" })).body.metadata.result).toBe(1);
    for (let i = 0; i < 25; i++) {
      const refused = await whmVersion(app, `whm root:${hash}`, BILLING);
      expect(refused.statusCode).toBe(401);
      expect(refused.json().metadata.reason).toBe("Access hash authentication is disabled on this server (allow_deprecated_accesshash is 0).");
    }
    expect((await whmVersion(app, `whm root:${working}`, BILLING)).statusCode).toBe(200);
    const audit = await app.keyhold.audit.list({ action: "login.failure", limit: 5 });
    expect(audit[0]!.detail).toMatchObject({ code: "ACCESS_HASH_DISABLED", counted: false });
  });

  it("an expired token: answered “This API token has expired.”, never counted", async () => {
    const app = (t = await createTestApp());
    const expired = await token(app, "old", String(Math.floor(app.clock.now() / 1000) + 60));
    const working = await token(app, "new");
    app.clock.advance(120_000);
    for (let i = 0; i < 25; i++) {
      const refused = await whmVersion(app, `whm root:${expired}`, BILLING);
      expect(refused.statusCode).toBe(401);
      expect(refused.json().metadata.reason).toBe("This API token has expired.");
    }
    expect((await whmVersion(app, `whm root:${working}`, BILLING)).statusCode).toBe(200);
  });

  it("a secret matching nothing is still a guess: five block the address, without a policy reason", async () => {
    const app = (t = await createTestApp());
    const working = await token(app, "new");
    for (let i = 0; i < 5; i++) {
      const refused = await whmVersion(app, `whm root:${"X".repeat(31)}${i}`, BILLING);
      expect(refused.statusCode).toBe(401);
      expect(refused.json().metadata.reason).not.toMatch(/expired|disabled/);
    }
    expect((await whmVersion(app, `whm root:${working}`, BILLING)).statusCode).toBe(429);
  });
});

describe("trusted_ips", () => {
  it("an address in a trusted range is never counted or blocked; others still are", async () => {
    const app = (t = await createTestApp());
    const set = await app.whm("set_tweaksetting", { key: "trusted_ips", value: "10.0.0.0/8, 192.0.2.40" });
    expect(set.body.metadata.result, set.body.metadata.reason).toBe(1);
    for (const ip of ["10.1.2.3", BILLING, "::ffff:10.9.9.9"]) {
      for (let i = 0; i < 8; i++) expect((await whmVersion(app, basicHeader("root", `wrong-${i}`), ip)).statusCode).toBe(401);
      expect((await whmVersion(app, basicHeader("root", ROOT_PASSWORD), ip)).statusCode, ip).toBe(200);
    }
    expect(await app.keyhold.bruteForce.list(app.clock.now())).toEqual([]);
    for (let i = 0; i < 5; i++) await whmVersion(app, basicHeader("root", `wrong-${i}`), "192.0.2.41");
    expect((await whmVersion(app, basicHeader("root", ROOT_PASSWORD), "192.0.2.41")).statusCode).toBe(429);
  });

  it("is validated, normalised, and readable through get_tweaksetting and REST (root only)", async () => {
    const app = (t = await createTestApp());
    for (const bad of ["10.0.0.0/33", "example.com", "10.0.0.1/8", "10.0.0.0/8,,nope"]) {
      const refused = await app.whm("set_tweaksetting", { key: "trusted_ips", value: bad });
      expect(refused.body.metadata.result, bad).toBe(0);
      expect(refused.body.metadata.reason).toMatch(/trusted_ips/);
    }
    expect((await app.whm("set_tweaksetting", { key: "trusted_ips", value: "192.0.2.7 2001:db8::/32\n10.0.0.0/8" })).body.metadata.result).toBe(1);
    const got = await app.whm("get_tweaksetting", { key: "trusted_ips" });
    expect(got.body.data.tweaksetting).toEqual({ key: "trusted_ips", value: "192.0.2.7, 2001:0db8:0000:0000:0000:0000:0000:0000/32, 10.0.0.0/8" });

    const rest = await app.app.inject({ method: "GET", url: "/api/v1/settings", headers: { authorization: basicHeader("root", ROOT_PASSWORD) } });
    const entry = rest.json().msg.find((setting: { key: string }) => setting.key === "trusted_ips");
    expect(entry).toMatchObject({ type: "address-list", value: "192.0.2.7, 2001:0db8:0000:0000:0000:0000:0000:0000/32, 10.0.0.0/8", default: "" });
    const put = await app.app.inject({ method: "PUT", url: "/api/v1/settings/trusted_ips", headers: { authorization: basicHeader("root", ROOT_PASSWORD), "content-type": "application/json" }, payload: { value: "" } });
    expect(put.statusCode, put.body).toBe(200);
    expect(put.json().msg.value).toBe("");

    await app.keyhold.accounts.create(CLI_ACTOR, { username: "res", password: "res-password-1", domain: "res.example.com", reseller: true });
    const reseller = await app.app.inject({ method: "GET", url: "/api/v1/settings", headers: { authorization: basicHeader("res", "res-password-1") } });
    expect(reseller.json().msg.map((setting: { key: string }) => setting.key)).toEqual(["allow_deprecated_accesshash"]);
    expect((await app.whm("set_tweaksetting", { key: "trusted_ips", value: "0.0.0.0/0" }, { basic: ["res", "res-password-1"] })).body.metadata.result).toBe(0);
  });

  it("the verify API's `ip` earns no trust: it is only the caller's word", async () => {
    const app = (t = await createTestApp({ settings: { trusted_ips: "10.0.0.0/8" } }));
    const verify = (authorization: string) =>
      app.app.inject({ method: "POST", url: "/api/v1/verify", headers: { authorization: basicHeader("root", ROOT_PASSWORD), "content-type": "application/json" }, payload: JSON.stringify({ authorization, ip: "10.0.0.1" }) });
    for (let i = 0; i < 5; i++) expect((await verify(basicHeader("root", `guess-${i}`))).json().msg.code).toBe("NOT_FOUND");
    expect((await verify(basicHeader("root", ROOT_PASSWORD))).json().msg.code).toBe("LOCKED_OUT");
  });
});

describe("trusted_ips from the CLI (keyhold settings set/get)", () => {
  it("sets, normalises, shows, and refuses a bad entry naming it", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "keyhold-trusted-"));
    try {
      const created = await openKeyhold(resolveStoreLocation({ dataDir }, {}), { create: true });
      await created.close();
      const run = async (args: string[]): Promise<string> => {
        let out = "";
        vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
          out += String(chunk);
          return true;
        });
        try {
          await settingsCommand().exitOverride().parseAsync([...args, "--data-dir", dataDir], { from: "user" });
        } finally {
          vi.restoreAllMocks();
        }
        return out;
      };
      expect(await run(["set", "trusted_ips", "10.0.0.0/8,192.0.2.7"])).toBe("trusted_ips = 10.0.0.0/8, 192.0.2.7\n");
      expect(await run(["get", "trusted_ips"])).toBe("10.0.0.0/8, 192.0.2.7\n");
      expect(JSON.parse(await run(["get", "trusted_ips", "--json"]))).toEqual({ key: "trusted_ips", value: "10.0.0.0/8, 192.0.2.7" });
      await expect(run(["set", "trusted_ips", "10.0.0.0/8, 300.1.1.1"])).rejects.toThrow(/“300\.1\.1\.1” is not an IP address or CIDR range/);
      expect(await run(["get", "trusted_ips"])).toBe("10.0.0.0/8, 192.0.2.7\n");
      expect(await run(["set", "trusted_ips", ""])).toBe("trusted_ips = \n");
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
