import { afterEach, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "./harness.js";

let t: TestApp;
afterEach(async () => t?.close());

describe("harness", () => {
  it("answers version for root over Basic", async () => {
    t = await createTestApp();
    const { status, body } = await t.whm("version");
    expect(status).toBe(200);
    expect(body.metadata).toEqual({ command: "version", reason: "OK", result: 1, version: 1 });
    expect(body.data.version).toBe("11.120.0.16");
  });
});
