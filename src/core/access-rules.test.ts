import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { AccessRules, canonicalPath, canonicalTarget, pathUnder } from "./access-rules.js";
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
    expect(rules.required("POST", canonicalPath("/admin"))).toEqual(["create-acct", "kill-acct"]);
    expect(rules.required("GET", canonicalPath("/verify"))).toEqual(["verify-credentials"]);
    expect(rules.required("GET", canonicalPath("/root-only/x"))).toEqual(["all"]);
    expect(rules.required("GET", canonicalPath("/open"))).toEqual([]);
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
    expect(rules.required("GET", canonicalPath("/admin/users/delete/42"))).toEqual(["kill-acct"]);
    expect(rules.required("POST", canonicalPath("/admin/users/delete"))).toEqual(["kill-acct"]);
    expect(rules.required("POST", canonicalPath("/admin/users"))).toEqual(["create-acct"]);
    expect(rules.required("GET", canonicalPath("/admin/settings"))).toEqual(["list-accts"]);
    const reversed = AccessRules.parse({
      rules: [
        { prefix: "/admin/users/delete", acls: ["kill-acct"] },
        { prefix: "/admin", acls: ["list-accts"] },
      ],
    });
    expect(reversed.required("GET", canonicalPath("/admin/users/delete/42"))).toEqual(["kill-acct"]);
    expect(reversed.required("GET", canonicalPath("/admin/users"))).toEqual(["list-accts"]);
  });

  it("a longer rule with an empty list opens its part of a protected prefix", () => {
    expect(rules.required("GET", canonicalPath("/admin/public/logo.png"))).toEqual([]);
    expect(rules.required("GET", canonicalPath("/admin/publication"))).toEqual(["list-accts"]);
  });

  it("a method filter applies the rule only to those methods; others fall to the next shorter prefix", () => {
    expect(rules.required("POST", canonicalPath("/admin/users/7"))).toEqual(["create-acct"]);
    expect(rules.required("PUT", canonicalPath("/admin/users/7"))).toEqual(["create-acct"]);
    expect(rules.required("GET", canonicalPath("/admin/users/7"))).toEqual(["list-accts"]);
    expect(rules.required("DELETE", canonicalPath("/admin/users/7"))).toEqual(["list-accts"]);
  });

  it("methods are compared without regard to letter case, in the file and in the request", () => {
    expect(rules.required("post", canonicalPath("/admin/users"))).toEqual(["create-acct"]);
    expect(rules.required("Put", canonicalPath("/admin/users"))).toEqual(["create-acct"]);
    expect(rules.required("GET", canonicalPath("/dns/zones"))).toEqual(["edit-dns"]);
    expect(rules.required("get", canonicalPath("/dns/zones"))).toEqual(["edit-dns"]);
    expect(rules.required("POST", canonicalPath("/dns/zones"))).toEqual([]);
  });

  it("a prefix matches whole path segments, not any string that starts with it", () => {
    expect(rules.required("GET", canonicalPath("/admin"))).toEqual(["list-accts"]);
    expect(rules.required("GET", canonicalPath("/admin/"))).toEqual(["list-accts"]);
    expect(rules.required("GET", canonicalPath("/administrator"))).toEqual([]);
    expect(rules.required("POST", canonicalPath("/admin/usersettings"))).toEqual(["list-accts"]);
    expect(rules.required("GET", canonicalPath("/dns/a"))).toEqual(["edit-dns"]);
    expect(rules.required("GET", canonicalPath("/dnsx"))).toEqual([]);
  });

  it("no matching rule needs nothing", () => {
    expect(rules.required("GET", canonicalPath("/"))).toEqual([]);
    expect(rules.required("POST", canonicalPath("/orders/1"))).toEqual([]);
    expect(AccessRules.none().required("DELETE", canonicalPath("/admin"))).toEqual([]);
    expect(AccessRules.parse({ rules: [] }).required("GET", canonicalPath("/admin"))).toEqual([]);
  });

  it("a rule for / is a catch-all that every longer prefix overrides", () => {
    const withCatchAll = AccessRules.parse({
      rules: [
        { prefix: "/", acls: ["list-accts"] },
        { prefix: "/admin", methods: ["POST"], acls: ["create-acct"] },
        { prefix: "/health", acls: [] },
      ],
    });
    expect(withCatchAll.required("GET", canonicalPath("/"))).toEqual(["list-accts"]);
    expect(withCatchAll.required("GET", canonicalPath("/anything/at/all"))).toEqual(["list-accts"]);
    expect(withCatchAll.required("GET", canonicalPath("/admin"))).toEqual(["list-accts"]);
    expect(withCatchAll.required("POST", canonicalPath("/admin/x"))).toEqual(["create-acct"]);
    expect(withCatchAll.required("GET", canonicalPath("/health"))).toEqual([]);
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
  ])("%s (%s) needs what /admin needs", (path) => {
    expect(rules.required("POST", canonicalPath(path))).toEqual(["create-acct"]);
  });

  it("only the canonical reading counts: the one the upstream is sent", () => {
    // As sent it is under the open /admin/public; canonical (and forwarded), it is /admin/secret.
    expect(rules.required("GET", canonicalPath("/admin/public/../secret"))).toEqual(["create-acct"]);
    // As sent it is under /files; canonical, it is /admin and nothing else.
    expect(canonicalPath("/files/..%2F..%2Fadmin")).toBe("/admin");
    expect(rules.required("GET", canonicalPath("/files/..%2F..%2Fadmin"))).toEqual(["create-acct"]);
    expect(rules.required("GET", canonicalPath("/admin/public/logo.png"))).toEqual([]);
    expect(rules.required("GET", canonicalPath("/%61dministrator"))).toEqual([]);
  });

  it("canonicalPath decodes, resolves, re-encodes one way and keeps a trailing slash", () => {
    expect(canonicalPath("/")).toBe("/");
    expect(canonicalPath("/a/b")).toBe("/a/b");
    expect(canonicalPath("/a/b/")).toBe("/a/b/");
    expect(canonicalPath("/a//b/./c/..")).toBe("/a/b/");
    expect(canonicalPath("/../../etc")).toBe("/etc");
    expect(canonicalPath("/caf%c3%a9")).toBe("/caf%C3%A9");
    expect(canonicalPath("/%61dmin")).toBe("/admin");
    expect(canonicalPath("/two%20words/a%2Bb/x:y@z/$&+,=!~*'()")).toBe("/two%20words/a+b/x:y@z/$&+,=!~*'()");
    expect(canonicalPath("/a|b/%7B%7D/%3F%23")).toBe("/a%7Cb/%7B%7D/%3F%23");
    expect(canonicalPath("/.well-known/x")).toBe("/.well-known/x");
  });

  it("a canonical path is its own canonical form", () => {
    for (const path of ["/%61dmin/users", "/x/../admin", "/caf%c3%a9/", "/a\\b", "/a|b", "/two%20words", "/%2e%2e/x", "/a:b@c"]) {
      const once = canonicalPath(path);
      expect(canonicalPath(once), path).toBe(once);
    }
  });

  it.each([
    ["", "must start with /"],
    ["admin", "must start with /"],
    ["http://example.com/admin", "must start with /"],
    ["/admin;x", "path parameter"],
    ["/admin;jsessionid=1/users", "path parameter"],
    ["/admin%3Bx", "path parameter"],
    ["/%61/%ZZ", "bad percent-encoding"],
    ["/admin%", "bad percent-encoding"],
    ["/caf%C3", "bad percent-encoding"],
    ["/admin%00.png", "control character"],
    ["/admin%0d%0aX: y", "percent-encoded"],
    ["/admin\u0000", "percent-encoded"],
    ["/adm in", "percent-encoded"],
    ["/café", "percent-encoded"],
    ["/admin#x", "percent-encoded"],
  ])("canonicalPath refuses %j (%s) with 400", (path, message) => {
    let error: unknown;
    try {
      canonicalPath(path);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(KeyholdError);
    expect((error as KeyholdError).code).toBe("INVALID_ARGUMENT");
    expect((error as KeyholdError).message).toContain(message);
  });

  it("canonicalTarget keeps the query string as sent and refuses # anywhere", () => {
    expect(canonicalTarget("/%61pp/x?q=two%20words&a=1&a=2&flag")).toEqual({ path: "/app/x", query: "?q=two%20words&a=1&a=2&flag" });
    expect(canonicalTarget("/x")).toEqual({ path: "/x", query: "" });
    expect(canonicalTarget("/x?next=/y;z")).toEqual({ path: "/x", query: "?next=/y;z" });
    expect(() => canonicalTarget("/admin#x")).toThrow(/“#”/);
    expect(() => canonicalTarget("/x?a=1#frag")).toThrow(/“#”/);
  });

  it("pathUnder strips a mount by whole segments", () => {
    const mount = canonicalPath("/app");
    expect(pathUnder(canonicalPath("/app"), mount)).toBe("/");
    expect(pathUnder(canonicalPath("/app/"), mount)).toBe("/");
    expect(pathUnder(canonicalPath("/app/admin/x"), mount)).toBe("/admin/x");
    expect(pathUnder(canonicalPath("/apple"), mount)).toBeNull();
    expect(pathUnder(canonicalPath("/app/../admin"), mount)).toBeNull();
    expect(pathUnder(canonicalPath("/admin"), canonicalPath("/"))).toBe("/admin");
    expect(pathUnder(canonicalPath("/app/x"), canonicalPath("/app/"))).toBe("/x");
  });
});

describe("case-insensitive rules", () => {
  it("a rule with caseInsensitive matches /ADMIN and /Admin; one without does not", () => {
    const rules = AccessRules.parse({
      rules: [
        { prefix: "/admin", acls: ["all"], caseInsensitive: true },
        { prefix: "/billing", acls: ["list-accts"] },
      ],
    });
    for (const path of ["/admin", "/ADMIN", "/Admin/users", "/%41DMIN/x"]) expect(rules.required("GET", canonicalPath(path)), path).toEqual(["all"]);
    expect(rules.required("GET", canonicalPath("/billing/x"))).toEqual(["list-accts"]);
    expect(rules.required("GET", canonicalPath("/BILLING/x"))).toEqual([]);
    expect(rules.required("GET", canonicalPath("/ADMINISTRATOR"))).toEqual([]);
  });

  it("caseInsensitive at the top level applies to every rule; a rule may still say false", () => {
    const rules = AccessRules.parse({
      caseInsensitive: true,
      rules: [
        { prefix: "/Admin", acls: ["all"] },
        { prefix: "/reports", acls: ["list-accts"] },
        { prefix: "/Exact", acls: ["create-acct"], caseInsensitive: false },
      ],
    });
    expect(rules.required("POST", canonicalPath("/aDmIn/x"))).toEqual(["all"]);
    expect(rules.required("GET", canonicalPath("/REPORTS"))).toEqual(["list-accts"]);
    expect(rules.required("GET", canonicalPath("/Exact/1"))).toEqual(["create-acct"]);
    expect(rules.required("GET", canonicalPath("/exact/1"))).toEqual([]);
  });

  it("caseInsensitive must be a boolean, on a rule or at the top level", () => {
    expect(parseError({ rules: [{ prefix: "/a", acls: [], caseInsensitive: "yes" }] }).message).toMatch(/rule 1: "caseInsensitive" must be true or false/);
    expect(parseError({ caseInsensitive: 1, rules: [] }).message).toMatch(/"caseInsensitive" must be true or false/);
  });
});

describe("rule prefixes are canonical too", () => {
  it("an encoded or dotted prefix is the path it stands for", () => {
    const rules = AccessRules.parse({ rules: [{ prefix: "/%61dmin/./users/", acls: ["create-acct"] }, { prefix: "/caf%c3%a9", acls: ["list-accts"] }] });
    expect(rules.required("GET", canonicalPath("/admin/users/1"))).toEqual(["create-acct"]);
    expect(rules.required("GET", canonicalPath("/caf%C3%A9/menu"))).toEqual(["list-accts"]);
  });

  it("a prefix no request can match (a path parameter, bad escapes) is refused with the file", () => {
    expect(parseError({ rules: [{ prefix: "/admin;x", acls: ["all"] }] }).message).toMatch(/rule 1: "prefix": .*path parameter/);
    expect(parseError({ rules: [{ prefix: "/admin%zz", acls: ["all"] }] }).message).toMatch(/rule 1: "prefix": .*percent-encoding/);
  });
});

describe("AccessRules.fromFile", () => {
  const dir = mkdtempSync(join(tmpdir(), "keyhold-rules-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("reads a rules file", () => {
    const path = join(dir, "rules.json");
    writeFileSync(path, JSON.stringify({ rules: [{ prefix: "/admin", methods: ["POST"], acls: ["create-acct"] }] }));
    const rules = AccessRules.fromFile(path);
    expect(rules.required("POST", canonicalPath("/admin/users"))).toEqual(["create-acct"]);
    expect(rules.required("GET", canonicalPath("/admin/users"))).toEqual([]);
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
