import { describe, expect, it } from "vitest";
import { AclSet, ROOT_ACLS } from "./acl.js";
import type { Actor } from "./actor.js";
import { KeyholdError } from "./errors.js";
import { assertTokenName, MAX_WHITELIST_ENTRIES, tokenAclList, tokenExpiry, tokenWhitelist } from "./token-rules.js";

const root: Actor = { username: "root", acls: ROOT_ACLS, ip: "127.0.0.1" };
const reseller: Actor = { username: "bob", acls: new AclSet(["list-accts", "create-acct", "manage-api-tokens"]), ip: "127.0.0.1" };

/** Runs `work`, expecting an INVALID_ARGUMENT KeyholdError, and returns its message. */
function refusal(work: () => unknown): string {
  try {
    work();
  } catch (error) {
    expect(error).toBeInstanceOf(KeyholdError);
    expect((error as KeyholdError).code).toBe("INVALID_ARGUMENT");
    return (error as KeyholdError).message;
  }
  throw new Error("expected the call to be refused");
}

describe("API token parameter rules (WHM's wording)", () => {
  describe("token names", () => {
    it("accepts 1 to 50 characters of a-z A-Z 0-9 _ -", () => {
      for (const name of ["a", "my_token", "My-Token-09", "x".repeat(50), "_-_"]) expect(() => assertTokenName(name), name).not.toThrow();
    });

    it("refuses other names with WHM's exact message", () => {
      expect(refusal(() => assertTokenName("bad name"))).toBe(
        "“bad name” is not a valid API token name. An API token name must not be longer than 50 characters and may only contain the following 64 characters: a-z A-Z 0-9 _ -",
      );
      for (const name of ["", "x".repeat(51), "dot.ted", "ümlaut", "new\nline"]) {
        expect(refusal(() => assertTokenName(name)), JSON.stringify(name)).toMatch(/is not a valid API token name\./);
      }
    });
  });

  describe("ACLs", () => {
    it("gives full access (null) when none or `all` is requested", () => {
      expect(tokenAclList(root, [])).toBeNull();
      expect(tokenAclList(root, ["", "  "])).toBeNull();
      expect(tokenAclList(root, ["all"])).toBeNull();
      expect(tokenAclList(root, ["list-accts", "all"])).toBeNull();
      expect(tokenAclList(reseller, [])).toBeNull();
    });

    it("stores a limited list trimmed, de-duplicated and sorted", () => {
      expect(tokenAclList(root, ["kill-acct", " create-acct ", "kill-acct"])).toEqual(["create-acct", "kill-acct"]);
      expect(tokenAclList(reseller, ["list-accts", "create-acct"])).toEqual(["create-acct", "list-accts"]);
    });

    it("refuses unknown ACLs and ACLs the caller does not hold, naming each", () => {
      expect(refusal(() => tokenAclList(root, ["list-accts", "bogus"]))).toBe("Invalid or unauthorized ACL(s) specified: bogus");
      expect(refusal(() => tokenAclList(reseller, ["list-accts", "kill-acct", "all"]))).toBe("Invalid or unauthorized ACL(s) specified: kill-acct, all");
    });
  });

  describe("expires_at", () => {
    const now = Date.UTC(2026, 0, 1);
    const nowSeconds = now / 1000;

    it("means never when absent, empty or 0", () => {
      expect(tokenExpiry(undefined, now)).toBeNull();
      expect(tokenExpiry("", now)).toBeNull();
      expect(tokenExpiry(" 0 ", now)).toBeNull();
    });

    it("takes a future epoch in seconds and returns milliseconds", () => {
      expect(tokenExpiry(String(nowSeconds + 60), now)).toBe(now + 60_000);
    });

    it("refuses a time that is not in the future", () => {
      expect(refusal(() => tokenExpiry(String(nowSeconds - 1), now))).toBe(`The “${nowSeconds - 1}” value must be a future date.`);
      expect(refusal(() => tokenExpiry(String(nowSeconds), now))).toBe(`The “${nowSeconds}” value must be a future date.`);
    });

    it("refuses text that is not an epoch time", () => {
      expect(refusal(() => tokenExpiry("tomorrow", now))).toBe("The “expires_at” value “tomorrow” is not a valid Unix epoch time.");
      expect(refusal(() => tokenExpiry("-5", now))).toMatch(/is not a valid Unix epoch time\.$/);
      expect(refusal(() => tokenExpiry("1.5", now))).toMatch(/is not a valid Unix epoch time\.$/);
    });
  });

  describe("IP whitelists", () => {
    it("normalises, sorts IPv4 first and expands IPv6 as WHM's docs show", () => {
      expect(tokenWhitelist(["fc00:abcd::f", "2620:0:28a4::/48", "192.0.2.8/29", "10.0.0.1/32"])).toEqual([
        "10.0.0.1",
        "192.0.2.8/29",
        "2620:0000:28a4:0000:0000:0000:0000:0000/48",
        "fc00:abcd:0000:0000:0000:0000:0000:000f",
      ]);
    });

    it("removes duplicates, including ones spelled differently", () => {
      expect(tokenWhitelist(["10.0.0.1", "10.0.0.1/32", " 10.0.0.1 ", "::1", "0:0:0:0:0:0:0:1/128"])).toEqual([
        "10.0.0.1",
        "0000:0000:0000:0000:0000:0000:0000:0001",
      ]);
    });

    it("clears the list (null) for `any` or nothing", () => {
      expect(tokenWhitelist(["any"])).toBeNull();
      expect(tokenWhitelist(["10.0.0.1", "ANY"])).toBeNull();
      expect(tokenWhitelist([])).toBeNull();
      expect(tokenWhitelist(["", " "])).toBeNull();
    });

    it("accepts 100 entries and refuses 101 with WHM's message", () => {
      const entries = (count: number) => Array.from({ length: count }, (_, i) => `10.0.${Math.floor(i / 250)}.${(i % 250) + 1}`);
      expect(tokenWhitelist(entries(MAX_WHITELIST_ENTRIES))).toHaveLength(100);
      expect(refusal(() => tokenWhitelist(entries(101)))).toBe("You have entered “101” IP addresses, which is above the limit of 100.");
    });

    it("refuses an invalid entry or a range whose address is not the network's first", () => {
      expect(refusal(() => tokenWhitelist(["10.0.0.1", "300.1.1.1"]))).toBe("Invalid IP address or CIDR range specified: 300.1.1.1");
      expect(refusal(() => tokenWhitelist(["192.0.2.9/29"]))).toBe("Invalid IP address or CIDR range specified: 192.0.2.9/29");
    });
  });
});
