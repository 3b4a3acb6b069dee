import { readFileSync } from "node:fs";
import { isKnownAcl } from "./acl.js";
import { invalidArgument } from "./errors.js";

/** RFC 9110's `token`: what a method name can be. */
const METHOD_TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * A request path in the one form Keyhold both matches rules against and forwards upstream, so
 * that a rule can never see a different string than the application does. Only `canonicalPath`
 * makes one.
 */
export type CanonicalPath = string & { readonly __canonical: unique symbol };

/** One rule: requests under `prefix` (with one of `methods`, or any) need every ACL in `acls`. */
export interface AccessRule {
  readonly prefix: CanonicalPath;
  readonly methods: readonly string[] | null;
  readonly acls: readonly string[];
  /** For applications that route `/ADMIN` as `/admin`: the prefix matches in any letter case. */
  readonly caseInsensitive: boolean;
}

/**
 * Which privileges a request to a protected API needs, by path prefix and method. The longest
 * matching prefix wins, so a rule for `/admin/users` overrides one for `/admin`.
 */
export class AccessRules {
  private readonly rules: readonly AccessRule[];

  constructor(rules: readonly AccessRule[]) {
    this.rules = [...rules].sort((a, b) => b.prefix.length - a.prefix.length);
  }

  static none(): AccessRules {
    return new AccessRules([]);
  }

  /**
   * Reads a rules file: `{"rules": [{"prefix": "/admin", "methods": ["POST"], "acls": ["create-acct"]}]}`,
   * with `"caseInsensitive": true` on a rule or at the top level (every rule) for applications
   * whose router ignores letter case.
   */
  static fromFile(path: string): AccessRules {
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(path, "utf8"));
    } catch (error) {
      throw invalidArgument(`Cannot read the access rules file ${path}: ${(error as Error).message}`);
    }
    return AccessRules.parse(json, path);
  }

  static parse(json: unknown, source = "rules"): AccessRules {
    const file = json as { rules?: unknown; caseInsensitive?: unknown } | null;
    const list = file?.rules;
    if (!Array.isArray(list)) throw invalidArgument(`${source}: expected {"rules": [...]}.`);
    if (file!.caseInsensitive !== undefined && typeof file!.caseInsensitive !== "boolean") {
      throw invalidArgument(`${source}: "caseInsensitive" must be true or false.`);
    }
    const caseInsensitiveByDefault = file!.caseInsensitive === true;
    return new AccessRules(
      list.map((raw: unknown, index): AccessRule => {
        const rule = raw as { prefix?: unknown; methods?: unknown; acls?: unknown; caseInsensitive?: unknown } | null;
        const where = `${source}: rule ${index + 1}`;
        if (typeof rule?.prefix !== "string" || !rule.prefix.startsWith("/")) throw invalidArgument(`${where}: "prefix" must be a path starting with /.`);
        let prefix: CanonicalPath;
        try {
          prefix = canonicalPath(rule.prefix);
        } catch (error) {
          throw invalidArgument(`${where}: "prefix": ${(error as Error).message}`);
        }
        // A method no request can have ("GET,POST", "") or an empty list would leave the rule
        // silently unused, and the path unprotected: refuse the file instead.
        if (
          rule.methods !== undefined &&
          !(Array.isArray(rule.methods) && rule.methods.length > 0 && rule.methods.every((method) => typeof method === "string" && METHOD_TOKEN.test(method)))
        ) {
          throw invalidArgument(`${where}: "methods" must be a list of HTTP methods.`);
        }
        if (!Array.isArray(rule.acls) || !rule.acls.every((acl) => typeof acl === "string" && isKnownAcl(acl))) {
          throw invalidArgument(`${where}: "acls" must be a list of known ACL names.`);
        }
        if (rule.caseInsensitive !== undefined && typeof rule.caseInsensitive !== "boolean") {
          throw invalidArgument(`${where}: "caseInsensitive" must be true or false.`);
        }
        return {
          prefix,
          methods: rule.methods === undefined ? null : (rule.methods as string[]).map((method) => method.toUpperCase()),
          acls: rule.acls as string[],
          caseInsensitive: rule.caseInsensitive ?? caseInsensitiveByDefault,
        };
      }),
    );
  }

  /**
   * The privileges a request needs; none when no rule matches. The path is the canonical one,
   * the very string the application receives, so there is no other reading to consider.
   */
  required(method: string, path: CanonicalPath): readonly string[] {
    if (this.rules.length === 0) return [];
    const upper = method.toUpperCase();
    let lower: string | undefined;
    for (const rule of this.rules) {
      const subject = rule.caseInsensitive ? (lower ??= path.toLowerCase()) : path;
      const prefix = rule.caseInsensitive ? rule.prefix.toLowerCase() : rule.prefix;
      const under = subject === prefix || subject.startsWith(prefix.endsWith("/") ? prefix : `${prefix}/`) || prefix === "/";
      if (under && (rule.methods === null || rule.methods.includes(upper))) return rule.acls;
    }
    return [];
  }
}

// Already canonical: no escapes, backslashes or `;`, no empty or dot-led segments. Most paths
// are, and are then their own canonical form without decoding anything.
const PLAIN_PATH = /^(?:\/[A-Za-z0-9\-_~!$&'()*+,=:@][A-Za-z0-9\-._~!$&'()*+,=:@]*)*\/?$/;
// What may appear raw in a request path: printable ASCII; `#` and `?` never get this far.
const RAW_PATH = /^\/[\x21-\x7e]*$/;
const CONTROL = /[\u0000-\u001f\u007f]/;
// Sub-delimiters, `:` and `@` are legal raw in a segment and stay as sent.
const KEPT_RAW = /%(?:24|26|2B|2C|3A|3D|40)/g;

/**
 * The request path as Keyhold matches and forwards it: percent-escapes decoded (UTF-8),
 * backslashes read as slashes, empty and `.` segments dropped, `..` resolved, then each segment
 * re-encoded one way (unreserved characters, sub-delimiters, `:` and `@` raw; everything else
 * `%XX`, upper case); a trailing slash is kept. Throws 400 for what routers read differently
 * and no single form can stand for: a segment with `;` (a path parameter, raw or encoded),
 * a control character (raw or encoded), bad percent-encoding, or a path not starting with `/`.
 */
export function canonicalPath(path: string): CanonicalPath {
  if (!path.startsWith("/")) throw invalidArgument("The request path must start with /.");
  if (PLAIN_PATH.test(path)) return path as CanonicalPath;
  if (!RAW_PATH.test(path) || path.includes("#")) throw invalidArgument("The request path contains characters that must be percent-encoded.");
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    throw invalidArgument("The request path is not valid: it contains bad percent-encoding.");
  }
  if (CONTROL.test(decoded)) throw invalidArgument("The request path contains an encoded control character.");
  const segments: string[] = [];
  const parts = decoded.split(/[\/\\]/);
  for (const part of parts) {
    // Stripping `;...` would change what some applications serve, keeping it lets others serve
    // `/admin` for `/admin;x`: neither reading is safe, so the request is refused.
    if (part.includes(";")) throw invalidArgument("The request path contains “;” (a path parameter), which applications read differently: it is refused.");
    if (part === "..") segments.pop();
    else if (part !== "" && part !== ".") segments.push(encodeURIComponent(part).replace(KEPT_RAW, (escape) => decodeURIComponent(escape)));
  }
  const last = parts[parts.length - 1];
  const trailingSlash = segments.length > 0 && (last === "" || last === "." || last === "..");
  return `/${segments.join("/")}${trailingSlash ? "/" : ""}` as CanonicalPath;
}

/**
 * A request target (`path?query`) split for matching and forwarding: the canonical path and the
 * query string as sent (with its `?`, or empty). `#` is refused anywhere: a fragment is never
 * sent to a server, and clients and servers disagree on where such a target ends.
 */
export function canonicalTarget(target: string): { readonly path: CanonicalPath; readonly query: string } {
  if (target.includes("#")) throw invalidArgument("The request target contains “#”, which is never valid in a request: it is refused.");
  const queryAt = target.indexOf("?");
  return queryAt === -1 ? { path: canonicalPath(target), query: "" } : { path: canonicalPath(target.slice(0, queryAt)), query: target.slice(queryAt) };
}

/** The part of a canonical path under a canonical mount (`/app/x` under `/app` is `/x`), or null when it is not under it. */
export function pathUnder(path: CanonicalPath, mount: CanonicalPath): CanonicalPath | null {
  if (mount === "/") return path;
  const base = mount.endsWith("/") ? mount.slice(0, -1) : mount;
  if (path === base) return "/" as CanonicalPath;
  return path.startsWith(`${base}/`) ? (path.slice(base.length) as CanonicalPath) : null;
}
