import { invalidArgument } from "../../core/errors.js";

/**
 * WHM API 1 parameters from the query string and the body together (form or JSON), as
 * cPanel::PublicAPI sends them. Repeated keys and WHM's `name-N` lists are both understood.
 */
export class WhmParams {
  private constructor(private readonly values: ReadonlyMap<string, readonly string[]>) {}

  static from(...sources: readonly unknown[]): WhmParams {
    const values = new Map<string, string[]>();
    for (const source of sources) {
      if (source === null || typeof source !== "object" || Array.isArray(source)) continue;
      for (const [key, raw] of Object.entries(source as Record<string, unknown>)) {
        for (const value of Array.isArray(raw) ? raw : [raw]) {
          if (value === null || value === undefined || typeof value === "object") continue;
          const list = values.get(key) ?? [];
          list.push(String(value));
          values.set(key, list);
        }
      }
    }
    return new WhmParams(values);
  }

  has(name: string): boolean {
    return this.values.has(name);
  }

  get(name: string): string | undefined {
    return this.values.get(name)?.[0];
  }

  require(name: string): string {
    const value = this.get(name);
    if (value === undefined || value === "") throw invalidArgument(`The parameter “${name}” is required.`);
    return value;
  }

  /** Perl truthiness, as WHM reads flags: anything but empty and "0". */
  flag(name: string): boolean {
    const value = this.get(name);
    return value !== undefined && value !== "" && value !== "0";
  }

  /** `name`, `name-0`, `name-1`, … in that order; undefined when none of them was sent. */
  list(name: string): string[] | undefined {
    const numbered: Array<[number, readonly string[]]> = [];
    for (const [key, values] of this.values) {
      const match = /^(.+)-(\d+)$/.exec(key);
      if (match !== null && match[1] === name) numbered.push([Number(match[2]), values]);
    }
    const plain = this.values.get(name);
    if (plain === undefined && numbered.length === 0) return undefined;
    numbered.sort((a, b) => a[0] - b[0]);
    return [...(plain ?? []), ...numbered.flatMap(([, values]) => values)];
  }

  /** `prefix<name>` keys with a true value, e.g. setacls' `acl-create-acct=1`. */
  flaggedSuffixes(prefix: string): string[] {
    const names: string[] = [];
    for (const key of this.values.keys()) {
      if (key.startsWith(prefix) && this.flag(key)) names.push(key.slice(prefix.length));
    }
    return names;
  }
}
