import autocannon from "autocannon";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

// Measures, in one run, the requests per second of an unauthenticated route and of WHM API
// calls authenticated in each way, against a real server process. Ratios, not absolute numbers,
// are the result: the machine is shared and noisy, so only figures from the same run compare.

const DURATION_SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 2);
const ROOT_PASSWORD = "bench-root-password";

interface Scenario {
  readonly name: string;
  /** The server the scenario loads: Keyhold unless it is a reference. */
  readonly base?: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly method?: "GET" | "POST";
  readonly body?: string;
}

/** Each measured path's lower bound on cost, and the share of its reference it must reach. */
interface Target {
  readonly name: string;
  readonly reference: string;
  readonly atLeast?: number;
}

/** Starts a process and resolves with the URL it announces on stdout. */
async function startProcess(args: readonly string[], announcement: RegExp, env: NodeJS.ProcessEnv = process.env): Promise<{ child: ChildProcess; base: string }> {
  // A process group of its own, so stopping it stops anything it started too.
  const child = spawn(process.execPath, args, { env, stdio: ["ignore", "pipe", "inherit"], detached: true });
  const base = await new Promise<string>((resolve, reject) => {
    let output = "";
    child.stdout!.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      const match = announcement.exec(output);
      if (match !== null) resolve(match[1]!);
    });
    child.once("exit", (code) => reject(new Error(`${args[0]} exited with code ${code} before listening`)));
  });
  return { child, base };
}

async function startServer(dataDir: string, upstream: string): Promise<{ child: ChildProcess; base: string }> {
  const main = fileURLToPath(new URL("../src/cli/main.js", import.meta.url));
  return startProcess(
    [main, "serve", "--port", "0", "--data-dir", dataDir, "--log-level", "warn", "--upstream", upstream, "--mount", "/app"],
    /Keyhold listening on (http:\/\/\S+)/,
    { ...process.env, KEYHOLD_ROOT_PASSWORD: ROOT_PASSWORD },
  );
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  process.kill(-child.pid!, "SIGTERM");
  await exited;
}

async function whm(base: string, fn: string, auth: string, params: Record<string, string>): Promise<any> {
  const response = await fetch(`${base}/json-api/${fn}`, {
    method: "POST",
    headers: { authorization: auth, "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ "api.version": "1", ...params }),
  });
  const body = (await response.json()) as any;
  if (response.status !== 200 || body.metadata?.result !== 1) throw new Error(`${fn} failed: ${JSON.stringify(body)}`);
  return body;
}

async function measure(base: string, scenario: Scenario, seconds = DURATION_SECONDS): Promise<{ rps: number; p50: number; p99: number; non2xx: number }> {
  const result = await autocannon({
    url: `${scenario.base ?? base}${scenario.path}`,
    headers: scenario.headers,
    method: scenario.method ?? "GET",
    ...(scenario.body === undefined ? {} : { body: scenario.body }),
    connections: CONNECTIONS,
    duration: seconds,
  });
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, non2xx: result.non2xx + result.errors };
}

function rssMegabytes(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return match === null ? Number.NaN : Number(match[1]) / 1024;
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), "keyhold-bench-"));
  const upstream = await startProcess([fileURLToPath(new URL("./upstream.js", import.meta.url))], /upstream listening on (http:\/\/\S+)/);
  const plainProxy = await startProcess([fileURLToPath(new URL("./plain-proxy.js", import.meta.url)), upstream.base], /proxy listening on (http:\/\/\S+)/);
  const { child, base } = await startServer(dataDir, upstream.base);
  try {
    const basic = `Basic ${Buffer.from(`root:${ROOT_PASSWORD}`).toString("base64")}`;
    const token = (await whm(base, "api_token_create", basic, { token_name: "bench" })).data.token as string;
    await whm(base, "set_tweaksetting", basic, { key: "allow_deprecated_accesshash", value: "1" });
    const accesshash = (await whm(base, "accesshash", basic, { generate: "1" })).data.accesshash as string;

    const scenarios: Scenario[] = [
      { name: "bare node:http hello (floor)", base: upstream.base, path: "/", headers: {} },
      { name: "unauthenticated GET /healthz", path: "/healthz", headers: {} },
      { name: "WHM version, API token", path: "/json-api/version?api.version=1", headers: { authorization: `whm root:${token}` } },
      { name: "WHM version, access hash", path: "/json-api/version?api.version=1", headers: { authorization: `whm root:${accesshash}` } },
      { name: "WHM version, HTTP Basic", path: "/json-api/version?api.version=1", headers: { authorization: basic } },
      { name: "nginx auth_request, API token", path: "/auth/request", headers: { authorization: `whm root:${token}`, "x-original-uri": "/orders/1" } },
      {
        name: "verify API, API token",
        path: "/api/v1/verify",
        method: "POST",
        headers: { authorization: `whm root:${token}`, "content-type": "application/json" },
        body: JSON.stringify({ authorization: `whm root:${token}`, ip: "127.0.0.1" }),
      },
      { name: "plain proxy (gateway reference)", base: plainProxy.base, path: "/app/hello", headers: {} },
      { name: "gateway, API token", path: "/app/hello", headers: { authorization: `whm root:${token}` } },
    ];
    const FLOOR = scenarios[0]!.name;
    const targets: Target[] = [
      { name: "WHM version, API token", reference: FLOOR, atLeast: 0.7 },
      { name: "nginx auth_request, API token", reference: FLOOR, atLeast: 0.75 },
      { name: "verify API, API token", reference: FLOOR },
      { name: "gateway, API token", reference: "plain proxy (gateway reference)" },
    ];
    const totals = new Map<string, { rps: number[]; p50: number[]; p99: number[]; non2xx: number }>();
    // Unmeasured first, so every path is compiled by the JIT before its figures count.
    for (const scenario of scenarios) await measure(base, scenario, WARMUP_SECONDS);
    const rssBefore = rssMegabytes(child.pid!);
    // Interleaved rounds, so a burst of load elsewhere on the machine hits every scenario alike.
    for (let round = 0; round < ROUNDS; round++) {
      for (const scenario of scenarios) {
        const { rps, p50, p99, non2xx } = await measure(base, scenario);
        const entry = totals.get(scenario.name) ?? { rps: [], p50: [], p99: [], non2xx: 0 };
        entry.rps.push(rps);
        entry.p50.push(p50);
        entry.p99.push(p99);
        entry.non2xx += non2xx;
        totals.set(scenario.name, entry);
      }
    }
    const rssAfter = rssMegabytes(child.pid!);

    const average = (values: number[]): number => values.reduce((sum, value) => sum + value, 0) / values.length;
    const rpsOf = (name: string): number => average(totals.get(name)!.rps);
    const floor = rpsOf(FLOOR);
    console.log(`\nKeyhold benchmark: ${ROUNDS} rounds × ${DURATION_SECONDS}s per scenario, ${CONNECTIONS} connections, one server process\n`);
    console.log("scenario                           req/s   p50 ms   p99 ms   non-2xx   × floor");
    for (const scenario of scenarios) {
      const entry = totals.get(scenario.name)!;
      const rps = average(entry.rps);
      console.log(
        `${scenario.name.padEnd(32)} ${rps.toFixed(0).padStart(7)} ${average(entry.p50).toFixed(1).padStart(8)} ${average(entry.p99).toFixed(1).padStart(8)} ${String(entry.non2xx).padStart(9)}   ${(rps / floor).toFixed(2)}`,
      );
    }
    console.log(`\nserver RSS: ${rssBefore.toFixed(1)} MB before load, ${rssAfter.toFixed(1)} MB after\n`);
    for (const target of targets) {
      const ratio = rpsOf(target.name) / rpsOf(target.reference);
      const verdict = target.atLeast === undefined ? "" : ratio >= target.atLeast ? `  (target ≥ ${target.atLeast.toFixed(2)}: met)` : `  (target ≥ ${target.atLeast.toFixed(2)}: NOT met)`;
      console.log(`${target.name} / ${target.reference}: ${ratio.toFixed(2)}×${verdict}`);
    }
    const failures = [...totals.values()].reduce((sum, entry) => sum + entry.non2xx, 0);
    if (failures > 0) {
      console.error(`${failures} requests failed during the benchmark`);
      process.exitCode = 1;
    }
  } finally {
    await stopProcess(child);
    await stopProcess(plainProxy.child);
    await stopProcess(upstream.child);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
