import { connect, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { DEFAULT_TIMEOUTS, type HttpTimeouts } from "../../src/http/context.js";
import { ROOT_PASSWORD, basicHeader, createTestApp, listenOnLoopback, type TestApp } from "../harness.js";

// Slowloris on a real listening server: sockets that send a request's headers or body a byte at
// a time. The refusal is the server answering and closing, never the test giving up.

let t: TestApp | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

async function listening(timeouts: Partial<HttpTimeouts> = {}): Promise<number> {
  t = await createTestApp({ http: { timeouts } });
  return listenOnLoopback(t.app);
}

interface Exchange {
  readonly socket: Socket;
  /** Everything the server sent, once it closed the connection. */
  readonly closed: Promise<string>;
  /** The first bytes of the answer. */
  readonly answered: Promise<string>;
}

function open(port: number, head: string): Exchange {
  const socket = connect(port, "127.0.0.1");
  let received = "";
  const answered = new Promise<string>((resolve) => socket.once("data", (chunk) => resolve(chunk.toString("latin1"))));
  socket.on("data", (chunk) => (received += chunk.toString("latin1")));
  socket.on("error", () => {});
  const closed = new Promise<string>((resolve) => socket.on("close", () => resolve(received)));
  socket.write(head);
  return { socket, closed, answered };
}

function slowPost(path: string, headers: Record<string, string>): string {
  const lines = Object.entries({ host: "127.0.0.1", "content-type": "application/x-www-form-urlencoded", "content-length": "100000", ...headers }).map(
    ([name, value]) => `${name}: ${value}\r\n`,
  );
  // One byte of the 100 000 promised: the rest would come "later".
  return `POST ${path} HTTP/1.1\r\n${lines.join("")}\r\na`;
}

describe("a body trickled in without a valid credential", () => {
  const cases: Array<[string, string, Record<string, string>]> = [
    ["WHM, no credential", "/json-api/listaccts?api.version=1", {}],
    ["WHM, a wrong password", "/json-api/listaccts?api.version=1", { authorization: basicHeader("root", "wrong-password-1") }],
    ["WHM, an unknown token", "/json-api/api_token_create?api.version=1", { authorization: "whm root:GVJWD78FF12NMBFKYKPS9BJ483C0XSQH" }],
    ["WHM, a session cookie without its cpsess path", "/cpsess0123456789/json-api/listaccts", { cookie: "whostmgrsession=forged" }],
    ["REST, no credential", "/api/v1/tokens", {}],
    ["REST, an unknown access_hash cookie", "/api/v1/access_hashes", { cookie: `access_hash=${"ab".repeat(40)}` }],
  ];
  for (const [name, path, headers] of cases) {
    it(`${name}: 401 at once, and the connection is closed without waiting for the body`, async () => {
      // The request timeout is the default 30 s: an answer inside the test's 5 s is the early refusal.
      const port = await listening();
      const exchange = open(port, slowPost(path, headers));
      const answer = await exchange.answered;
      expect(answer).toMatch(/^HTTP\/1\.1 401 /);
      expect(answer.toLowerCase()).toContain("connection: close");
      const all = await exchange.closed;
      expect(all).toMatch(/^HTTP\/1\.1 401 /);
    });
  }

  it("a plain user's valid password on WHM: 403 before the body, as at /login", async () => {
    const port = await listening();
    await t!.whm("createacct", { username: "alice", domain: "alice.example.com", password: "alice-password-1" });
    const exchange = open(port, slowPost("/json-api/api_token_create?api.version=1&token_name=x", { authorization: basicHeader("alice", "alice-password-1") }));
    expect(await exchange.answered).toMatch(/^HTTP\/1\.1 403 /);
    await exchange.closed;
  });
});

describe("timeouts that hold whatever the credential", () => {
  it("a valid credential's slow body is cut off by the request timeout (408, closed)", async () => {
    const port = await listening({ requestMs: 400, headersMs: 300 });
    const started = Date.now();
    const exchange = open(port, slowPost("/json-api/listaccts?api.version=1", { authorization: basicHeader("root", ROOT_PASSWORD) }));
    const all = await exchange.closed;
    expect(all).toMatch(/^HTTP\/1\.1 408 /);
    expect(Date.now() - started).toBeGreaterThanOrEqual(350);
  });

  it("a slow /login body (its credential is in the body) is cut off by the request timeout", async () => {
    const port = await listening({ requestMs: 400, headersMs: 300 });
    const exchange = open(port, slowPost("/login", {}));
    expect(await exchange.closed).toMatch(/^HTTP\/1\.1 408 /);
  });

  it("a slow REST session login is cut off the same way", async () => {
    const port = await listening({ requestMs: 400, headersMs: 300 });
    const exchange = open(port, slowPost("/api/v1/session", { "content-type": "application/json" }));
    expect(await exchange.closed).toMatch(/^HTTP\/1\.1 408 /);
  });

  it("headers sent a line at a time are cut off by the headers timeout", async () => {
    const port = await listening({ headersMs: 300, requestMs: 5_000 });
    const started = Date.now();
    const exchange = open(port, "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n");
    const timer = setInterval(() => exchange.socket.write("X-Slow: 1\r\n"), 100);
    try {
      expect(await exchange.closed).toMatch(/^HTTP\/1\.1 408 /);
    } finally {
      clearInterval(timer);
    }
    expect(Date.now() - started).toBeLessThan(4_000);
  });

  it("an idle kept-alive connection is closed after the keep-alive timeout", async () => {
    const port = await listening({ keepAliveMs: 200 });
    const exchange = open(port, "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    expect(await exchange.answered).toMatch(/^HTTP\/1\.1 200 /);
    expect(await exchange.closed).toMatch(/^HTTP\/1\.1 200 /);
  });

  it("the defaults are set on the Node server: headers 10 s, request 30 s, keep-alive 5 s", async () => {
    await listening();
    const server = t!.app.server;
    expect(server.headersTimeout).toBe(DEFAULT_TIMEOUTS.headersMs);
    expect(server.requestTimeout).toBe(DEFAULT_TIMEOUTS.requestMs);
    expect(server.keepAliveTimeout).toBe(DEFAULT_TIMEOUTS.keepAliveMs);
    expect(server.timeout).toBe(DEFAULT_TIMEOUTS.idleMs);
    expect(DEFAULT_TIMEOUTS).toEqual({ headersMs: 10_000, requestMs: 30_000, keepAliveMs: 5_000, idleMs: 60_000 });
  });
});
