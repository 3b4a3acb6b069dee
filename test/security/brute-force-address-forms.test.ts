import type { LightMyRequestResponse } from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import { counterAddress } from "../../src/core/ip.js";
import { ROOT_PASSWORD, basicHeader, createTestApp, whmVersion, type TestApp } from "../harness.js";

// Issue 11 item 5: lockout keys were raw strings, so after five failures for 10.0.0.5 the same
// address spelled ::ffff:10.0.0.5, ::ffff:a00:5 or 0:0:0:0:0:ffff:10.0.0.5 passed. Addresses are
// now normalised once before counting and checking; IPv6 counts per /64.

let t: TestApp | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

function version(app: TestApp, password: string, ip: string): Promise<LightMyRequestResponse> {
  return whmVersion(app, basicHeader("root", password), ip);
}

describe("every spelling of a blocked address is blocked", () => {
  it("IPv4 and its IPv4-mapped IPv6 forms", async () => {
    const app = (t = await createTestApp());
    for (let i = 0; i < 5; i++) expect((await version(app, `wrong-${i}`, "10.0.0.5")).statusCode).toBe(401);
    for (const form of ["10.0.0.5", "::ffff:10.0.0.5", "::ffff:a00:5", "0:0:0:0:0:ffff:10.0.0.5", "::FFFF:10.0.0.5", "0000:0000:0000:0000:0000:ffff:0a00:0005"]) {
      expect((await version(app, ROOT_PASSWORD, form)).statusCode, form).toBe(429);
    }
    expect((await version(app, ROOT_PASSWORD, "10.0.0.6")).statusCode).toBe(200);
  });

  it("failures spread over the spellings add up", async () => {
    const app = (t = await createTestApp());
    for (const form of ["10.0.0.7", "::ffff:10.0.0.7", "::ffff:a00:7", "0:0:0:0:0:ffff:10.0.0.7", "::ffff:0a00:0007"]) {
      expect((await version(app, "wrong", form)).statusCode, form).toBe(401);
    }
    expect((await version(app, ROOT_PASSWORD, "10.0.0.7")).statusCode).toBe(429);
  });

  it("IPv6 counts per /64: fresh addresses from one /64 share its count, the next /64 does not", async () => {
    const app = (t = await createTestApp());
    for (let i = 1; i <= 5; i++) expect((await version(app, "wrong", `2001:db8:1:2::${i.toString(16)}`)).statusCode).toBe(401);
    expect((await version(app, ROOT_PASSWORD, "2001:db8:1:2:ffff:ffff:ffff:ffff")).statusCode).toBe(429);
    expect((await version(app, ROOT_PASSWORD, "2001:0DB8:0001:0002:0000:0000:0000:0009")).statusCode).toBe(429);
    expect((await version(app, ROOT_PASSWORD, "2001:db8:1:3::1")).statusCode).toBe(200);
  });

  it("a flush names the address in any spelling", async () => {
    const app = (t = await createTestApp());
    for (let i = 0; i < 5; i++) await version(app, `wrong-${i}`, "::ffff:10.0.0.8");
    expect(await app.keyhold.bruteForce.flush("10.0.0.8", app.clock.now())).toEqual(["ip:10.0.0.8"]);
    expect((await version(app, ROOT_PASSWORD, "::ffff:a00:8")).statusCode).toBe(200);
  });
});

describe("counterAddress", () => {
  it("maps every form to one key", () => {
    expect(new Set(["10.0.0.5", "::ffff:10.0.0.5", "::ffff:a00:5", "0:0:0:0:0:ffff:10.0.0.5"].map(counterAddress))).toEqual(new Set(["10.0.0.5"]));
    expect(counterAddress("2001:DB8::1")).toBe("2001:0db8:0000:0000:0000:0000:0000:0000/64");
    expect(counterAddress("not-an-address")).toBe("not-an-address");
  });
});
