import { describe, expect, it } from "vitest";
import { PasswordHasher } from "./password.js";

const hasher = new PasswordHasher();

describe("password hashing (scrypt)", () => {
  it("verifies the right password and refuses a wrong one", async () => {
    const encoded = await hasher.hash("correct horse battery");
    expect(encoded).toMatch(/^\$scrypt\$ln=15,r=8,p=1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
    expect(encoded).not.toContain("correct horse battery");
    expect(await hasher.verify("correct horse battery", encoded)).toBe(true);
    expect(await hasher.verify("correct horse batterY", encoded)).toBe(false);
    expect(await hasher.verify("", encoded)).toBe(false);
  });

  it("salts each hash, so the same password hashes differently", async () => {
    const [a, b] = await Promise.all([hasher.hash("same password"), hasher.hash("same password")]);
    expect(a).not.toBe(b);
    expect(await hasher.verify("same password", a)).toBe(true);
    expect(await hasher.verify("same password", b)).toBe(true);
  });

  it("verifies hashes made at another cost, as each hash names its own", async () => {
    const cheap = await new PasswordHasher({ logN: 10, r: 8, p: 1 }).hash("rehashed later");
    expect(cheap).toMatch(/^\$scrypt\$ln=10,r=8,p=1\$/);
    expect(await hasher.verify("rehashed later", cheap)).toBe(true);
    expect(await hasher.verify("rehashed sooner", cheap)).toBe(false);
  });

  it("refuses anything that is not an encoded hash", async () => {
    expect(await hasher.verify("x", "")).toBe(false);
    expect(await hasher.verify("x", "plaintext")).toBe(false);
    expect(await hasher.verify("x", "$argon2id$v=19$m=65536,t=3,p=4$abc$def")).toBe(false);
  });

  it("answers false for the decoy used when there is no account", async () => {
    expect(await hasher.verifyAgainstDecoy("anything")).toBe(false);
  });
});
