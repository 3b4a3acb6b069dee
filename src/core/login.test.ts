import { afterEach, describe, expect, it } from "vitest";
import { CLI_ACTOR } from "./actor.js";
import { logIn } from "./login.js";
import { CountingHasher } from "../../test/security/brute-force-helpers.js";
import { ROOT_PASSWORD, createTestApp, type TestApp } from "../../test/harness.js";

let t: TestApp | undefined;
afterEach(async () => t?.close());

const IP = "192.0.2.10";

describe("logIn", () => {
  it("logs root in with a session the verifier then accepts", async () => {
    t = await createTestApp();
    const outcome = await logIn(t.keyhold, { username: "root", password: ROOT_PASSWORD, ip: IP });
    expect(outcome.kind).toBe("logged-in");
    if (outcome.kind !== "logged-in") return;
    expect(outcome.account.username).toBe("root");
    expect(outcome.acls.rootLevel).toBe(true);
    const { secret, securityToken } = outcome.session;
    expect((await t.keyhold.verifier.verify({ scheme: "session", secret, securityToken }, { ip: IP })).valid).toBe(true);
  });

  it("answers a wrong password and an unknown user alike", async () => {
    t = await createTestApp();
    expect(await logIn(t.keyhold, { username: "root", password: "Wrong-Password-1", ip: IP })).toEqual({ kind: "invalid" });
    expect(await logIn(t.keyhold, { username: "nobodyhere", password: "Wrong-Password-1", ip: IP })).toEqual({ kind: "invalid" });
  });

  it("refuses a cPanel user, right password and all", async () => {
    t = await createTestApp();
    await t.keyhold.accounts.create(CLI_ACTOR, { username: "alice", password: "alice-password-1", domain: "alice.example.com" });
    const outcome = await logIn(t.keyhold, { username: "alice", password: "alice-password-1", ip: IP });
    expect(outcome).toMatchObject({ kind: "role-not-allowed", account: { username: "alice", role: "user" } });
  });

  it("is locked out after too many failures, even with the right password", async () => {
    t = await createTestApp();
    for (let i = 0; i < 5; i++) expect((await logIn(t.keyhold, { username: "root", password: `Wrong-${i}`, ip: IP })).kind).toBe("invalid");
    expect(await logIn(t.keyhold, { username: "root", password: ROOT_PASSWORD, ip: IP })).toEqual({ kind: "locked-out", retryAfterSeconds: 15 * 60 });
  });

  it("is busy while the address, or the whole server, has no password check to spare", async () => {
    const hasher = new CountingHasher(true);
    t = await createTestApp({ keyhold: { passwordHasher: hasher, hashingLimits: { perAddress: 1, overall: 1, queue: 0 } } });
    const running = logIn(t.keyhold, { username: "root", password: "Wrong-Password-1", ip: IP });
    await hasher.started(1);
    expect(await logIn(t.keyhold, { username: "root", password: "Wrong-Password-2", ip: IP })).toMatchObject({ kind: "busy", scope: "address" });
    expect(await logIn(t.keyhold, { username: "root", password: "Wrong-Password-2", ip: "192.0.2.11" })).toMatchObject({ kind: "busy", scope: "server" });
    hasher.open();
    expect(await running).toEqual({ kind: "invalid" });
  });
});
