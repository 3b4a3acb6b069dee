import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, watch, writeFileSync } from "node:fs";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PROJECT, startServer, unusedPort, type ServerProcess } from "./server-process.js";

// The README's nginx snippet, run for real: Debian's nginx on a loopback port, auth_request
// pointing at a Keyhold process, in front of a small application that records what reaches it.

const NGINX = "/usr/sbin/nginx";
const ROOT_PASSWORD = "nginx-root-password-1";
const SNIPPET = join(PROJECT, "examples", "nginx", "keyhold-auth-request.conf");

/**
 * Resolves when nginx has written its pid file, which it does only after opening its listening
 * sockets; rejects if nginx exits first.
 */
async function started(dir: string, nginx: ChildProcess, exited: Promise<unknown>): Promise<void> {
  const pidFile = join(dir, "nginx.pid");
  const watcher = watch(dir);
  try {
    await Promise.race([
      new Promise<void>((resolve) => {
        watcher.on("change", () => {
          if (existsSync(pidFile)) resolve();
        });
        if (existsSync(pidFile)) resolve();
      }),
      exited.then(() => {
        throw new Error(`nginx exited (${nginx.exitCode}) before listening`);
      }),
    ]);
  } finally {
    watcher.close();
  }
}

describe("nginx auth_request in front of an application, asking Keyhold", { timeout: 60_000 }, () => {
  let dir: string;
  let keyhold: ServerProcess;
  let upstream: Server;
  let nginx: ChildProcess;
  let nginxExited: Promise<unknown>;
  let front: string;
  const seen: IncomingHttpHeaders[] = [];
  const basic = `Basic ${Buffer.from(`root:${ROOT_PASSWORD}`).toString("base64")}`;

  beforeAll(async () => {
    expect(existsSync(NGINX), "nginx is not installed: .ci/run installs Debian's nginx package").toBe(true);
    dir = mkdtempSync(join(tmpdir(), "keyhold-nginx-"));
    upstream = createServer((request, response) => {
      seen.push(request.headers);
      response.setHeader("content-type", "application/json");
      response.end(JSON.stringify({ path: request.url, user: request.headers["x-keyhold-user"] ?? null }));
    });
    upstream.listen(0, "127.0.0.1");
    await once(upstream, "listening");
    keyhold = await startServer(["--data-dir", join(dir, "data"), "--log-level", "error", "--trust-proxy", "127.0.0.1"], { KEYHOLD_ROOT_PASSWORD: ROOT_PASSWORD });

    const port = await unusedPort();
    const server = readFileSync(SNIPPET, "utf8")
      .replaceAll("127.0.0.1:8443", `127.0.0.1:${port}`)
      .replaceAll("http://127.0.0.1:8080", `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`)
      .replaceAll("http://127.0.0.1:2086", keyhold.base);
    mkdirSync(join(dir, "logs"));
    const runAsRoot = process.getuid?.() === 0 ? "user root;\n" : "";
    writeFileSync(
      join(dir, "nginx.conf"),
      `${runAsRoot}worker_processes 1;\npid ${dir}/nginx.pid;\nerror_log ${dir}/logs/error.log warn;\nevents { worker_connections 64; }\nhttp {\n` +
        `  access_log off;\n  client_body_temp_path ${dir}/body;\n  proxy_temp_path ${dir}/proxy;\n  fastcgi_temp_path ${dir}/fastcgi;\n  uwsgi_temp_path ${dir}/uwsgi;\n  scgi_temp_path ${dir}/scgi;\n${server}\n}\n`,
    );
    nginx = spawn(NGINX, ["-p", dir, "-c", join(dir, "nginx.conf"), "-g", "daemon off;"], { stdio: ["ignore", "ignore", "pipe"] });
    nginxExited = once(nginx, "exit");
    await started(dir, nginx, nginxExited);
    front = `http://127.0.0.1:${port}`;
  });

  afterAll(async () => {
    if (nginx !== undefined && nginx.exitCode === null) {
      nginx.kill("SIGTERM");
      await nginxExited;
    }
    await keyhold?.stop();
    upstream?.close();
    if (dir !== undefined && process.env.KEEP_NGINX_DIR === undefined) rmSync(dir, { recursive: true, force: true });
  });

  async function keyholdCall(fn: string, params: Record<string, string>): Promise<any> {
    const response = await fetch(`${keyhold.base}/json-api/${fn}`, {
      method: "POST",
      headers: { authorization: basic, "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ "api.version": "1", ...params }),
    });
    const body = (await response.json()) as any;
    expect(body.metadata.result, JSON.stringify(body)).toBe(1);
    return body.data;
  }

  async function throughNginx(headers: Record<string, string>): Promise<{ status: number; body: any }> {
    const before = seen.length;
    const response = await fetch(`${front}/orders/42?full=1`, { headers });
    const text = await response.text();
    const reached = seen.length > before;
    return { status: response.status, body: reached ? JSON.parse(text) : null };
  }

  it("lets a valid token reach the application, which sees the identity and never the credential", async () => {
    const { token } = await keyholdCall("api_token_create", { token_name: "nginx-ok" });
    const { status, body } = await throughNginx({ authorization: `whm root:${token}`, cookie: "theme=dark" });
    expect(status).toBe(200);
    expect(body).toEqual({ path: "/orders/42?full=1", user: "root" });
    const headers = seen.at(-1)!;
    expect(headers["x-keyhold-user"]).toBe("root");
    expect(headers["x-keyhold-acls"]).toBe("all");
    expect(headers["x-keyhold-credential"]).toBe("api-token:nginx-ok");
    expect(headers.authorization).toBeUndefined();
    expect(JSON.stringify(headers)).not.toContain(token);
  });

  it("stops a wrong token, a token from the wrong IP and an expired token before the application", async () => {
    const reached = seen.length;
    expect((await throughNginx({ authorization: "whm root:WRONGTOKEN" })).status).toBe(401);

    const { token: elsewhere } = await keyholdCall("api_token_create", { token_name: "nginx-ip", whitelist_ip: "10.9.9.9" });
    expect((await throughNginx({ authorization: `whm root:${elsewhere}` })).status).toBe(401);

    const expiresAt = Math.floor(Date.now() / 1000) + 2;
    const { token: expiring } = await keyholdCall("api_token_create", { token_name: "nginx-expiring", expires_at: String(expiresAt) });
    expect((await throughNginx({ authorization: `whm root:${expiring}` })).status).toBe(200);
    // Expiry is a point in time, not an event: ask until it has passed (bounded).
    let status = 200;
    while (status === 200 && Date.now() < (expiresAt + 3) * 1000) status = (await throughNginx({ authorization: `whm root:${expiring}` })).status;
    expect(status).toBe(401);
    // Of all these calls, only the expiring token's, before its expiry, reached the application.
    expect(seen.length).toBeGreaterThan(reached);
    expect(seen.slice(reached).every((headers) => headers["x-keyhold-credential"] === "api-token:nginx-expiring")).toBe(true);
  });

  it("refuses a token revoked while nginx is running, on the next request", async () => {
    const { token } = await keyholdCall("api_token_create", { token_name: "nginx-revoked" });
    expect((await throughNginx({ authorization: `whm root:${token}` })).status).toBe(200);
    await keyholdCall("api_token_revoke", { token_name: "nginx-revoked" });
    expect((await throughNginx({ authorization: `whm root:${token}` })).status).toBe(401);
  });

  it("takes an IP-bound access hash from the access_hash cookie and keeps it from the application", async () => {
    const response = await fetch(`${keyhold.base}/api/v1/access_hashes`, {
      method: "POST",
      headers: { authorization: basic, "content-type": "application/json" },
      body: JSON.stringify({ name: "nginx", ip: "127.0.0.1" }),
    });
    const hash = ((await response.json()) as any).msg.access_hash as string;
    const { status } = await throughNginx({ cookie: `access_hash=${hash}` });
    expect(status).toBe(200);
    const headers = seen.at(-1)!;
    expect(headers["x-keyhold-credential"]).toBe("ip-access-hash:nginx");
    expect(headers.cookie).toBeUndefined();
    expect(JSON.stringify(seen)).not.toContain(hash);
  });

  // Last: it blocks this machine's address at Keyhold for the rest of the run.
  it("passes a brute-force lockout on as 429 with Retry-After", async () => {
    // The refusals of the tests above count too: at most five failures in all before the block.
    const statuses: number[] = [];
    for (let i = 0; i < 5 && !statuses.includes(429); i++) statuses.push((await throughNginx({ authorization: `whm root:WRONG${i}` })).status);
    expect(statuses.every((status) => status === 401 || status === 429)).toBe(true);
    const response = await fetch(`${front}/orders/42`, { headers: { authorization: basic } });
    expect(response.status).toBe(429);
    expect(Number(response.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(await response.json()).toMatchObject({ msg: "", status: "error" });
  });
});
