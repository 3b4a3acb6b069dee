import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { apiTokenDigest, generateApiToken, isApiTokenDigest, mayBeIssuedToken, TOKEN_LENGTH } from "./api-token.js";

const ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
// A token issued by the current checksum scheme; if the scheme changed, tokens already handed
// out would be refused before lookup, so this vector must keep passing.
const KNOWN_ISSUED = "KEYHOLD0TEST0VECTOR000000001PAQP";

describe("API tokens", () => {
  it("are 32 characters of [0-9A-Z], as WHM issues them, and differ each time", () => {
    const tokens = new Set(Array.from({ length: 200 }, () => generateApiToken()));
    expect(tokens.size).toBe(200);
    for (const token of tokens) expect(token).toMatch(/^[0-9A-Z]{32}$/);
    expect(TOKEN_LENGTH).toBe(32);
  });

  it("carry a checksum that every generated token passes", () => {
    for (let i = 0; i < 200; i++) expect(mayBeIssuedToken(generateApiToken())).toBe(true);
    expect(mayBeIssuedToken(KNOWN_ISSUED)).toBe(true);
  });

  it("fail the checksum after any one-character change", () => {
    for (let position = 0; position < KNOWN_ISSUED.length; position++) {
      for (const replacement of ALPHABET) {
        if (replacement === KNOWN_ISSUED[position]) continue;
        const altered = KNOWN_ISSUED.slice(0, position) + replacement + KNOWN_ISSUED.slice(position + 1);
        expect(mayBeIssuedToken(altered), altered).toBe(false);
      }
    }
  });

  it("fail the checksum for a WHM-shaped string made up by hand", () => {
    expect(mayBeIssuedToken("GVJWD78FF12NMBFKYKPS9BJ483C0XSQH")).toBe(false);
    expect(mayBeIssuedToken("A".repeat(32))).toBe(false);
  });

  it("let every other shape through to the digest lookup (imported or converted secrets)", () => {
    for (const secret of ["", "a".repeat(32), "gvjwd78ff12nmbfkykps9bj483c0xsqh", "A".repeat(31), "A".repeat(33), "0f".repeat(480), "ABC DEF"]) {
      expect(mayBeIssuedToken(secret), secret.slice(0, 40)).toBe(true);
    }
  });

  it("are stored as cPanel stores them: SHA-512, lowercase hex", () => {
    expect(apiTokenDigest("abc")).toBe(
      "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
    );
    const token = generateApiToken();
    expect(apiTokenDigest(token)).toBe(createHash("sha512").update(token).digest("hex"));
    expect(isApiTokenDigest(apiTokenDigest(token))).toBe(true);
    expect(isApiTokenDigest(apiTokenDigest(token).toUpperCase())).toBe(false);
    expect(isApiTokenDigest("ab".repeat(63))).toBe(false);
  });
});
