import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { AccessRules, canonicalPath } from "./access-rules.js";
import { KeyholdError } from "./errors.js";

// The rules file for auth_request and the gateway (issue 7): path prefix + method → required ACLs.

function parseError(json: unknown): KeyholdError {
  try {
    AccessRules.parse(json, "rules.json");
  } catch (error) {
    expect(error).toBeInstanceOf(KeyholdError);
    expect((error as KeyholdError).code).toBe("INVALID_ARGUMENT");
    return error as KeyholdError;
  }
  throw new Error(`expected ${JSON.stringify(json)} to be refused`);
}

describe("AccessRules.parse refuses a malformed rules file", () => {
  it.each([
    ["null", null],
    ["an array", []],
    ["no rules key", { rule: [] }],
    ["rules not a list", { rules: { prefix: "/admin", acls: [] } }],
    ["rules a string", { rules: "/admin" }],
  ])("without a rules list (%s)", (_label, json) => {
    expect(parseError(json).message).toMatch(/expected \{"rules": \[\.\.\.\]\}/);
    expect(parseError(json).message).toContain("rules.json");
  });

  it.each([
    ["missing", { acls: [] }],
    ["not a string", { prefix: 42, acls: [] }],
    ["relative", { prefix: "admin", acls: [] }],
    ["empty", { prefix: "", acls: [] }],
    ["a full URL", { prefix: "http://example.com/admin", acls: [] }],
  ])("with a bad prefix (%s), naming the rule", (_label, rule) => {
    const error = parseError({ rules: [{ prefix: "/ok", acls: [] }, rule] });
    expect(error.message).toContain("rule 2");
    expect(error.message).toMatch(/"prefix" must be a path starting with \//);
  });

  it("with a rule that is not an object", () => {
    expect(parseError({ rules: [null] }).message).toContain("rule 1");
    expect(parseError({ rules: ["/admin"] }).message).toContain("rule 1");
  });

  it.each([
    ["an unknown name", ["create-acct", "make-coffee"]],
    ["a string rather than a list", "create-acct"],
    ["missing", undefined],
    ["a number in the list", [1]],
    ["a name in the wrong case", ["Create-Acct"]],
  ])("with acls %s", (_label, acls) => {
    const error = parseError({ rules: [{ prefix: "/admin", ...(acls === undefined ? {} : { acls }) }] });
    expect(error.message).toContain("rule 1");
    expect(error.message).toMatch(/"acls" must be a list of known ACL names/);
  });

  it.each([
    ["a string rather than a list", "POST"],
    ["a number in the list", ["POST", 7]],
    ["null", null],
    ["an empty list (the rule could never apply)", []],
    ["an empty name", [""]],
    ["two methods in one string", ["GET,POST"]],
    ["a name with a space", ["GET POST"]],
  ])("with methods %s", (_label, methods) => {
    const error = parseError({ rules: [{ prefix: "/admin", methods, acls: ["create-acct"] }] });
    expect(error.message).toContain("rule 1");
    expect(error.message).toMatch(/"methods" must be a list of HTTP methods/);
  });

  it("accepts a valid file, Keyhold's own verify-credentials and root's all included", () => {
    const rules = AccessRules.parse({
      rules: [
        { prefix: "/admin", methods: ["POST", "delete"], acls: ["create-acct", "kill-acct"] },
        { prefix: "/verify", acls: ["verify-credentials"] },
        { prefix: "/root-only", acls: ["all"] },
        { prefix: "/open", acls: [] },
      ],
    });
    expect(rules.required("POST", "/admin")).toEqual(["create-acct", "kill-acct"]);
    expect(rules.required("GET", "/verify")).toEqual(["verify-credentials"]);
    expect(rules.required("GET", "/root-only/x")).toEqual(["all"]);
    expect(rules.required("GET", "/open")).toEqual([]);
  });
});

describe("AccessRules.required", () => {
  const rules = AccessRules.parse({
    rules: [
      { prefix: "/admin", acls: ["list-accts"] },
      { prefix: "/admin/users", methods: ["POST", "PUT"], acls: ["create-acct"] },
      { prefix: "/admin/users/delete", acls: ["kill-acct"] },
      { prefix: "/admin/public", acls: [] },
      { prefix: "/dns/", methods: ["get"], acls: ["edit-dns"] },
    ],
  });

  it("the longest matching prefix wins, whatever the order in the file", () => {
    expect(rules.required("GET", "/admin/users/delete/42")).toEqual(["kill-acct"]);
    expect(rules.required("POST", "/admin/users/delete")).toEqual(["kill-acct"]);
    expect(rules.required("POST", "/admin/users")).toEqual(["create-acct"]);
    expect(rules.required("GET", "/admin/settings")).toEqual(["list-accts"]);
    const reversed = AccessRules.parse({
      rules: [
        { prefix: "/admin/users/delete", acls: ["kill-acct"] },
        { prefix: "/admin", acls: ["list-accts"] },
      ],
    });
    expect(reversed.required("GET", "/admin/users/delete/42")).toEqual(["kill-acct"]);
    expect(reversed.required("GET", "/admin/users")).toEqual(["list-accts"]);
  });

  it("a longer rule with an empty list opens its part of a protected prefix", () => {
    expect(rules.required("GET", "/admin/public/logo.png")).toEqual([]);
    expect(rules.required("GET", "/admin/publication")).toEqual(["list-accts"]);
  });

  it("a method filter applies the rule only to those methods; others fall to the next shorter prefix", () => {
    expect(rules.required("POST", "/admin/users/7")).toEqual(["create-acct"]);
    expect(rules.required("PUT", "/admin/users/7")).toEqual(["create-acct"]);
    expect(rules.required("GET", "/admin/users/7")).toEqual(["list-accts"]);
    expect(rules.required("DELETE", "/admin/users/7")).toEqual(["list-accts"]);
  });

  it("methods are compared without regard to letter case, in the file and in the request", () => {
    expect(rules.required("post", "/admin/users")).toEqual(["create-acct"]);
    expect(rules.required("Put", "/admin/users")).toEqual(["create-acct"]);
    expect(rules.required("GET", "/dns/zones")).toEqual(["edit-dns"]);
    expect(rules.required("get", "/dns/zones")).toEqual(["edit-dns"]);
    expect(rules.required("POST", "/dns/zones")).toEqual([]);
  });

  it("a prefix matches whole path segments, not any string that starts with it", () => {
    expect(rules.required("GET", "/admin")).toEqual(["list-accts"]);
    expect(rules.required("GET", "/admin/")).toEqual(["list-accts"]);
    expect(rules.required("GET", "/administrator")).toEqual([]);
    expect(rules.required("POST", "/admin/usersettings")).toEqual(["list-accts"]);
    expect(rules.required("GET", "/dns/a")).toEqual(["edit-dns"]);
    expect(rules.required("GET", "/dnsx")).toEqual([]);
  });

  it("no matching rule needs nothing", () => {
    expect(rules.required("GET", "/")).toEqual([]);
    expect(rules.required("POST", "/orders/1")).toEqual([]);
    expect(AccessRules.none().required("DELETE", "/admin")).toEqual([]);
    expect(AccessRules.parse({ rules: [] }).required("GET", "/admin")).toEqual([]);
  });

  it("a rule for / is a catch-all that every longer prefix overrides", () => {
    const withCatchAll = AccessRules.parse({
      rules: [
        { prefix: "/", acls: ["list-accts"] },
        { prefix: "/admin", methods: ["POST"], acls: ["create-acct"] },
        { prefix: "/health", acls: [] },
      ],
    });
    expect(withCatchAll.required("GET", "/")).toEqual(["list-accts"]);
    expect(withCatchAll.required("GET", "/anything/at/all")).toEqual(["list-accts"]);
    expect(withCatchAll.required("GET", "/admin")).toEqual(["list-accts"]);
    expect(withCatchAll.required("POST", "/admin/x")).toEqual(["create-acct"]);
    expect(withCatchAll.required("GET", "/health")).toEqual([]);
  });
});

describe("paths the application's router may read differently", () => {
  const rules = AccessRules.parse({
    rules: [
      { prefix: "/admin", acls: ["create-acct"] },
      { prefix: "/admin/public", acls: [] },
      { prefix: "/files", acls: ["list-accts"] },
    ],
  });

  it.each([
    ["/%61dmin/users", "percent-encoded letters"],
    ["/%61%64%6d%69%6e", "an entirely encoded segment"],
    ["/admin%2Fusers", "an encoded slash"],
    ["//admin/users", "a doubled slash"],
    ["/./admin", "a dot segment"],
    ["/x/../admin/users", "a dot-dot segment"],
    ["/x/%2e%2e/admin", "an encoded dot-dot segment"],
    ["/admin\\users", "a backslash"],
    ["/%61dmin/%zz", "a malformed escape elsewhere"],
  ])("%s (%s) needs what /admin needs", (path) => {
    expect(rules.required("POST", path)).toEqual(["create-acct"]);
  });

  it("a path needs what the rules say for it as sent and as resolved, together", () => {
    // As sent it is under the open /admin/public; resolved it is /admin/secret.
    expect(rules.required("GET", "/admin/public/../secret")).toEqual(["create-acct"]);
    // As sent it is under /files; resolved, under /admin: both apply.
    expect(rules.required("GET", "/files/..%2F..%2Fadmin")).toEqual(["list-accts", "create-acct"]);
    expect(rules.required("GET", "/admin/public/logo.png")).toEqual([]);
    expect(rules.required("GET", "/%61dministrator")).toEqual([]);
  });

  it("canonicalPath decodes, resolves and keeps a trailing slash", () => {
    expect(canonicalPath("/")).toBe("/");
    expect(canonicalPath("")).toBe("/");
    expect(canonicalPath("/a/b")).toBe("/a/b");
    expect(canonicalPath("/a/b/")).toBe("/a/b/");
    expect(canonicalPath("/a//b/./c/..")).toBe("/a/b/");
    expect(canonicalPath("/../../etc")).toBe("/etc");
    expect(canonicalPath("/caf%C3%A9")).toBe("/café");
    expect(canonicalPath("/%61/%ZZ/%C3")).toBe("/a/%ZZ/%C3");
  });
});

describe("AccessRules.fromFile", () => {
  const dir = mkdtempSync(join(tmpdir(), "keyhold-rules-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("reads a rules file", () => {
    const path = join(dir, "rules.json");
    writeFileSync(path, JSON.stringify({ rules: [{ prefix: "/admin", methods: ["POST"], acls: ["create-acct"] }] }));
    const rules = AccessRules.fromFile(path);
    expect(rules.required("POST", "/admin/users")).toEqual(["create-acct"]);
    expect(rules.required("GET", "/admin/users")).toEqual([]);
  });

  it("refuses a file that is missing or not JSON, naming it", () => {
    const missing = join(dir, "missing.json");
    expect(() => AccessRules.fromFile(missing)).toThrow(/Cannot read the access rules file .*missing\.json/);
    const broken = join(dir, "broken.json");
    writeFileSync(broken, "{ rules: [ ");
    expect(() => AccessRules.fromFile(broken)).toThrow(/Cannot read the access rules file .*broken\.json/);
  });

  it("names the file in a rule's error", () => {
    const path = join(dir, "bad.json");
    writeFileSync(path, JSON.stringify({ rules: [{ prefix: "/admin", acls: ["nope"] }] }));
    expect(() => AccessRules.fromFile(path)).toThrow(/bad\.json: rule 1: "acls"/);
  });
});
