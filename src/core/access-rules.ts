import { readFileSync } from "node:fs";
import { isKnownAcl } from "./acl.js";
import { invalidArgument } from "./errors.js";

/** RFC 9110's `token`: what a method name can be. */
const METHOD_TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** One rule: requests under `prefix` (with one of `methods`, or any) need every ACL in `acls`. */
export interface AccessRule {
  readonly prefix: string;
  readonly methods: readonly string[] | null;
  readonly acls: readonly string[];
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

  /** Reads a rules file: `{"rules": [{"prefix": "/admin", "methods": ["POST"], "acls": ["create-acct"]}]}`. */
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
    const list = (json as { rules?: unknown } | null)?.rules;
    if (!Array.isArray(list)) throw invalidArgument(`${source}: expected {"rules": [...]}.`);
    return new AccessRules(
      list.map((raw: unknown, index): AccessRule => {
        const rule = raw as { prefix?: unknown; methods?: unknown; acls?: unknown } | null;
        const where = `${source}: rule ${index + 1}`;
        if (typeof rule?.prefix !== "string" || !rule.prefix.startsWith("/")) throw invalidArgument(`${where}: "prefix" must be a path starting with /.`);
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
        return {
          prefix: rule.prefix,
          methods: rule.methods === undefined ? null : (rule.methods as string[]).map((method) => method.toUpperCase()),
          acls: rule.acls as string[],
        };
      }),
    );
  }

  /**
   * The privileges a request needs; none when no rule matches. The application behind may route
   * the path as sent or decoded and resolved (`/%61dmin`, `/x/../admin` are `/admin` to many
   * routers), so a request needs what the rules say for either reading.
   */
  required(method: string, path: string): readonly string[] {
    if (this.rules.length === 0) return [];
    const upper = method.toUpperCase();
    const asSent = this.match(upper, path);
    const canonical = canonicalPath(path);
    if (canonical === path) return asSent;
    return [...new Set([...asSent, ...this.match(upper, canonical)])];
  }

  private match(method: string, path: string): readonly string[] {
    for (const rule of this.rules) {
      const under = path === rule.prefix || path.startsWith(rule.prefix.endsWith("/") ? rule.prefix : `${rule.prefix}/`) || rule.prefix === "/";
      if (under && (rule.methods === null || rule.methods.includes(method))) return rule.acls;
    }
    return [];
  }
}

/**
 * A request path as a lenient router reads it: percent-escapes decoded, backslashes as slashes,
 * empty and `.` segments dropped, `..` resolved; a trailing slash is kept.
 */
export function canonicalPath(path: string): string {
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    // A malformed escape elsewhere in the path must not keep `%61` from reading as `a`.
    decoded = path.replace(/%([0-7][0-9a-f])/gi, (_escape, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
  }
  const segments: string[] = [];
  const parts = decoded.replaceAll("\\", "/").split("/");
  for (const part of parts) {
    if (part === "..") segments.pop();
    else if (part !== "" && part !== ".") segments.push(part);
  }
  const last = parts[parts.length - 1];
  const trailingSlash = segments.length > 0 && (last === "" || last === "." || last === "..");
  return `/${segments.join("/")}${trailingSlash ? "/" : ""}`;
}
