import { readFileSync } from "node:fs";
import { isKnownAcl } from "./acl.js";
import { invalidArgument } from "./errors.js";

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
        if (rule.methods !== undefined && !(Array.isArray(rule.methods) && rule.methods.every((method) => typeof method === "string"))) {
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

  /** The privileges a request needs; none when no rule matches. */
  required(method: string, path: string): readonly string[] {
    const upper = method.toUpperCase();
    for (const rule of this.rules) {
      const under = path === rule.prefix || path.startsWith(rule.prefix.endsWith("/") ? rule.prefix : `${rule.prefix}/`) || rule.prefix === "/";
      if (under && (rule.methods === null || rule.methods.includes(upper))) return rule.acls;
    }
    return [];
  }
}
