import { describe, expect, it } from "vitest";
import { WHM_ACCESS_HASH_LENGTH, accessKeySignature, formatAccessHashFile, generateWhmAccessHash, normalizeWhmAccessHash } from "./whm-access-hash.js";

describe("WHM access hashes", () => {
  it("are 960 lowercase hex characters, new each time", () => {
    const first = generateWhmAccessHash();
    const second = generateWhmAccessHash();
    expect(WHM_ACCESS_HASH_LENGTH).toBe(960);
    expect(first).toMatch(/^[0-9a-f]{960}$/);
    expect(second).toMatch(/^[0-9a-f]{960}$/);
    expect(first).not.toBe(second);
  });

  it("are written as ~/.accesshash is: 30 lines of 32 characters, each ending in LF", () => {
    const hash = generateWhmAccessHash();
    const file = formatAccessHashFile(hash);
    expect(file).toHaveLength(990);
    expect(file.endsWith("\n")).toBe(true);
    const lines = file.split("\n");
    expect(lines.pop()).toBe("");
    expect(lines).toHaveLength(30);
    for (const line of lines) expect(line).toMatch(/^[0-9a-f]{32}$/);
    expect(lines.join("")).toBe(hash);
    expect(file).not.toContain("\r");
  });

  it("have an Access Key Signature of the first 32 characters as 16 colon-joined pairs", () => {
    const hash = "0123456789abcdef".repeat(60);
    const signature = accessKeySignature(hash);
    expect(signature).toBe("01:23:45:67:89:ab:cd:ef:01:23:45:67:89:ab:cd:ef");
    expect(signature).toHaveLength(47);
    const random = generateWhmAccessHash();
    expect(accessKeySignature(random).split(":")).toHaveLength(16);
    expect(accessKeySignature(random).replace(/:/g, "")).toBe(random.slice(0, 32));
  });

  it("are compared with all whitespace removed, as WHM's tools strip it", () => {
    expect(normalizeWhmAccessHash(" ab\r\ncd\tef \n\n")).toBe("abcdef");
    const hash = generateWhmAccessHash();
    expect(normalizeWhmAccessHash(formatAccessHashFile(hash))).toBe(hash);
    expect(normalizeWhmAccessHash(formatAccessHashFile(hash).replace(/\n/g, "\r\n"))).toBe(hash);
  });
});
