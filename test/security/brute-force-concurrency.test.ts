import type { LightMyRequestResponse } from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import { CLI_ACTOR } from "../../src/core/actor.js";
import { HashingGate, type HashingLimits } from "../../src/core/hashing-gate.js";
import { ROOT_PASSWORD, basicHeader, createTestApp, whmVersion, type TestApp } from "../harness.js";
import { CountingHasher, settledCount } from "./brute-force-helpers.js";

// Issue 11 item 2: a concurrent burst of password guesses from one address must not get more
// guesses evaluated than max_failures_byip (5), and must not starve other users' logins.
// Before the fix, 300 concurrent wrong passwords were all hashed (all 401) and a correct one
// inside the burst succeeded; another user's first login took 35 s.

let t: TestApp | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

const ATTACKER = "198.51.100.66";
const BYSTANDER = "198.51.100.77";
// Hashing limits out of the way, so the brute-force reservation alone is what holds.
const WIDE: HashingLimits = { perAddress: 1_000, overall: 1_000, queue: 1_000 };

/** 150 wrong passwords, the right one, 150 more, all sent at once from one address. */
function burst(app: TestApp, ip: string): { wrong: Array<Promise<LightMyRequestResponse>>; correct: Promise<LightMyRequestResponse> } {
  const wrong: Array<Promise<LightMyRequestResponse>> = [];
  for (let i = 0; i < 150; i++) wrong.push(whmVersion(app, basicHeader("root", `Wrong-Password-${i}`), ip));
  const correct = whmVersion(app, basicHeader("root", ROOT_PASSWORD), ip);
  for (let i = 150; i < 300; i++) wrong.push(whmVersion(app, basicHeader("root", `Wrong-Password-${i}`), ip));
  return { wrong, correct };
}

function expectRefusedWithRetry(response: LightMyRequestResponse): void {
  expect(response.statusCode, response.body).toBe(429);
  expect(Number(response.headers["retry-after"])).toBeGreaterThan(0);
}

describe("a burst of 300 concurrent wrong passwords from one address", () => {
  it("gets at most 5 evaluated, counting each before its hash; the correct password inside the burst does not pass", async () => {
    const hasher = new CountingHasher(true);
    const app = (t = await createTestApp({ keyhold: { passwordHasher: hasher, hashingLimits: WIDE } }));
    const { wrong, correct } = burst(app, ATTACKER);
    const all = [...wrong, correct];
    // Every attempt that is not being hashed is answered while the hashes are held; a sixth
    // hash starting would be the defect itself.
    await Promise.race([settledCount(all, all.length - 5), hasher.started(6)]);
    hasher.open();
    const answers = await Promise.all(all);

    expect(hasher.verified).toBeLessThanOrEqual(5);
    const statuses = answers.map((response) => response.statusCode);
    expect(statuses.filter((status) => status === 401).length).toBeLessThanOrEqual(5);
    expect(statuses.filter((status) => status !== 401 && status !== 429)).toEqual([]);
    for (const response of answers.filter((r) => r.statusCode === 429)) expectRefusedWithRetry(response);
    expectRefusedWithRetry(await correct);

    // The five failures blocked the address, for the whole period.
    const after = await whmVersion(app, basicHeader("root", ROOT_PASSWORD), ATTACKER);
    expectRefusedWithRetry(after);
    expect(after.headers["retry-after"]).toBe(String(15 * 60));
  });

  it("with the default hashing limits, only 2 at a time are hashed for one address; the rest get 429 at once", async () => {
    const hasher = new CountingHasher(true);
    const app = (t = await createTestApp({ keyhold: { passwordHasher: hasher } }));
    const { wrong, correct } = burst(app, ATTACKER);
    const all = [...wrong, correct];
    await Promise.race([settledCount(all, all.length - 2), hasher.started(3)]);
    expect(hasher.verified).toBeLessThanOrEqual(2);
    hasher.open();
    const answers = await Promise.all(all);
    expect(hasher.verified).toBeLessThanOrEqual(2);
    expect(answers.filter((response) => response.statusCode === 429)).toHaveLength(299);
    expect((await correct).statusCode).toBe(429);
    expect((await correct).json().metadata.reason).toMatch(/Too many password checks from this address at once/);
  });

  it("two addresses bursting at once: at most 5 evaluated for each", async () => {
    const hasher = new CountingHasher(true);
    const app = (t = await createTestApp({ keyhold: { passwordHasher: hasher, hashingLimits: WIDE } }));
    const first = burst(app, ATTACKER);
    const second = burst(app, "203.0.113.9");
    const all = [...first.wrong, first.correct, ...second.wrong, second.correct];
    await Promise.race([settledCount(all, all.length - 10), hasher.started(11)]);
    hasher.open();
    await Promise.all(all);
    expect(hasher.verified).toBeLessThanOrEqual(10);
  });
});

describe("password hashing is bounded, so guessing cannot starve other users", () => {
  it("another address's first login during the burst takes about as long as one alone", async () => {
    // A real cost, so hashing time dominates: 300 hashes queued ahead would take seconds.
    const hasher = new CountingHasher(false, { logN: 14, r: 8, p: 1 });
    const app = (t = await createTestApp({ keyhold: { passwordHasher: hasher } }));
    for (const username of ["alice", "bob"]) {
      await app.keyhold.accounts.create(CLI_ACTOR, { username, password: `${username}-password-1`, domain: `${username}.example.com`, reseller: true });
    }
    const timed = async (username: string): Promise<number> => {
      const started = performance.now();
      const response = await whmVersion(app, basicHeader(username, `${username}-password-1`), BYSTANDER);
      expect(response.statusCode, response.body).toBe(200);
      return performance.now() - started;
    };
    const alone = await timed("alice");

    const { wrong, correct } = burst(app, ATTACKER);
    const during = await timed("bob");
    await Promise.all([...wrong, correct]);
    // Measured, not assumed: before the fix the burst's hashes ran ahead of it (35 s on the
    // reviewer's machine); now at most two of them share the cores with it.
    expect(during, `alone ${alone.toFixed(0)} ms, during the burst ${during.toFixed(0)} ms`).toBeLessThan(alone * 8);
    expect(hasher.verified).toBeLessThanOrEqual(2 + 2);
  });

  it("answers 429 with Retry-After past the per-address limit, 503 with Retry-After past the overall limit and its queue", async () => {
    const hasher = new CountingHasher(true);
    const app = (t = await createTestApp({ keyhold: { passwordHasher: hasher, hashingLimits: { perAddress: 1, overall: 2, queue: 1 } } }));
    const running = [whmVersion(app, basicHeader("root", "Wrong-1"), "192.0.2.1"), whmVersion(app, basicHeader("root", "Wrong-2"), "192.0.2.2")];
    await hasher.started(2);
    const sameAddress = await whmVersion(app, basicHeader("root", ROOT_PASSWORD), "::ffff:192.0.2.1");
    expectRefusedWithRetry(sameAddress);
    expect(sameAddress.json().metadata.reason).toMatch(/from this address at once/);

    // Two more from new addresses: one fits in the queue, the other finds it full.
    const late = [whmVersion(app, basicHeader("root", ROOT_PASSWORD), "192.0.2.3"), whmVersion(app, basicHeader("root", ROOT_PASSWORD), "192.0.2.4")];
    const overflow = await Promise.race(late);
    expect(overflow.statusCode, overflow.body).toBe(503);
    expect(Number(overflow.headers["retry-after"])).toBeGreaterThan(0);
    expect(overflow.json().metadata.reason).toMatch(/busy checking other passwords/);

    hasher.open();
    expect((await Promise.all(running)).map((response) => response.statusCode)).toEqual([401, 401]);
    expect((await Promise.all(late)).map((response) => response.statusCode).sort()).toEqual([200, 503]);
    // Refusals for load are no guesses: nothing was counted for them.
    expect((await whmVersion(app, basicHeader("root", ROOT_PASSWORD), "192.0.2.4")).statusCode).toBe(200);
  });
});

describe("HashingGate", () => {
  it("hands a freed slot to the next one queued and never runs more than its limit", async () => {
    const gate = new HashingGate({ perAddress: 5, overall: 1, queue: 2 });
    const first = gate.enter("192.0.2.1", null);
    const second = gate.enter("192.0.2.2", null);
    expect(first).toBeInstanceOf(Promise);
    expect(second).toBeInstanceOf(Promise);
    let secondRuns = false;
    void (second as Promise<() => void>).then(() => (secondRuns = true));
    const release = await (first as Promise<() => void>);
    await Promise.resolve();
    expect(secondRuns).toBe(false);
    release();
    release();
    (await (second as Promise<() => void>))();
    expect(secondRuns).toBe(true);
    expect(gate.enter("192.0.2.3", null)).toBeInstanceOf(Promise);
  });

  it("limits a verify-API caller per client address and as a whole", () => {
    const gate = new HashingGate({ perAddress: 1, overall: 4, queue: 0 });
    expect(gate.enter("192.0.2.1", "svc")).toBeInstanceOf(Promise);
    expect(gate.enter("192.0.2.1", "svc")).toEqual({ busy: "address" });
    expect(gate.enter("192.0.2.2", "svc")).toBeInstanceOf(Promise);
    expect(gate.enter("192.0.2.3", "svc")).toEqual({ busy: "address" });
    expect(gate.enter("192.0.2.3", "other")).toBeInstanceOf(Promise);
  });
});
