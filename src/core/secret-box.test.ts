import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadOrCreateKeyFile, SecretBox } from "./secret-box.js";

describe("SecretBox: encryption at rest and keyed lookup digests", () => {
  const key = randomBytes(32);
  const box = new SecretBox(key);
  const other = new SecretBox(randomBytes(32));
  const secret = "0123456789abcdef".repeat(60);

  it("opens what it sealed, in the same context", () => {
    const sealed = box.seal(secret, "acct_1");
    expect(sealed).toMatch(/^v1:[A-Za-z0-9+/=]+$/);
    expect(sealed).not.toContain(secret.slice(0, 32));
    expect(box.open(sealed, "acct_1")).toBe(secret);
    expect(new SecretBox(Buffer.from(key)).open(sealed, "acct_1")).toBe(secret);
  });

  it("seals the same plaintext differently each time", () => {
    expect(box.seal(secret, "acct_1")).not.toBe(box.seal(secret, "acct_1"));
  });

  it("refuses a ciphertext under another context, another key, or altered", () => {
    const sealed = box.seal(secret, "acct_1");
    expect(box.open(sealed, "acct_2")).toBeNull();
    expect(other.open(sealed, "acct_1")).toBeNull();
    const raw = Buffer.from(sealed.slice(3), "base64");
    raw[raw.length - 1]! ^= 1;
    expect(box.open(`v1:${raw.toString("base64")}`, "acct_1")).toBeNull();
    expect(box.open("v2:" + sealed.slice(3), "acct_1")).toBeNull();
    expect(box.open("garbage", "acct_1")).toBeNull();
    expect(box.open("v1:AAAA", "acct_1")).toBeNull();
  });

  it("gives a digest that is stable for one key and different under another", () => {
    expect(box.digest(secret)).toMatch(/^[0-9a-f]{64}$/);
    expect(box.digest(secret)).toBe(new SecretBox(Buffer.from(key)).digest(secret));
    expect(other.digest(secret)).not.toBe(box.digest(secret));
    expect(box.digest(`${secret}0`)).not.toBe(box.digest(secret));
  });

  it("needs a 32-byte master key", () => {
    expect(() => new SecretBox(randomBytes(31))).toThrow(/32 bytes/);
  });

  describe("key file", () => {
    let dir: string;
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), "keyhold-keyfile-"));
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it("is created with mode 0600 on first use and read back unchanged later", () => {
      const path = join(dir, "sub", "keyhold.key");
      const first = loadOrCreateKeyFile(path);
      expect(first.created).toBe(true);
      expect(first.key).toHaveLength(32);
      expect(statSync(path).mode & 0o777).toBe(0o600);
      const second = loadOrCreateKeyFile(path);
      expect(second.created).toBe(false);
      expect(second.key.equals(first.key)).toBe(true);
    });

    it("is refused when group or others can read it", () => {
      const path = join(dir, "keyhold.key");
      loadOrCreateKeyFile(path);
      for (const mode of [0o640, 0o604, 0o660]) {
        chmodSync(path, mode);
        expect(() => loadOrCreateKeyFile(path), mode.toString(8)).toThrow(/readable by other users/);
      }
      chmodSync(path, 0o600);
      expect(loadOrCreateKeyFile(path).key).toHaveLength(32);
    });

    it("is refused when it is not a Keyhold key file", () => {
      const path = join(dir, "keyhold.key");
      writeFileSync(path, "something else\n", { mode: 0o600 });
      expect(() => loadOrCreateKeyFile(path)).toThrow(/not a Keyhold key file/);
      expect(readFileSync(path, "utf8")).toBe("something else\n");
    });
  });
});
