import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { CLI_ACTOR } from "../src/core/actor.js";
import { LocalChangeFeed } from "../src/core/changes.js";
import { PrometheusMetrics, startMetricsServer } from "../src/http/metrics.js";
import { PostgresChangeFeed } from "../src/store/postgres-changes.js";
import { parsePostgresUrl } from "../src/store/postgres-connection.js";
import { ROOT, authorization, createTestApp, whmHeader, type TestApp } from "./harness.js";
import { schemaUrl, uniqueSchema } from "./postgres-helpers.js";
import { PROJECT, serveRefusal, startServer, unusedPort, type ServerProcess } from "./server-process.js";

// Issue 16 §1: Prometheus metrics on a listener of their own, never on the public port.

const CLIENT = "198.51.100.30";
const OTHER = "198.51.100.31";

type Samples = Map<string, number>;

/** Parses the text exposition format into `name{label="value",…}` (labels sorted) → value. */
function parse(text: string): Samples {
  const samples: Samples = new Map();
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)(?: \d+)?$/.exec(line);
    if (match === null) throw new Error(`Not a sample line: ${line}`);
    const labels = [...(match[2] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)].map(([, name, value]) => `${name}="${value}"`).sort();
    samples.set(labels.length === 0 ? match[1]! : `${match[1]}{${labels.join(",")}}`, Number(match[3]));
  }
  return samples;
}

function value(samples: Samples, key: string): number {
  return samples.get(key) ?? 0;
}

/** What moved between two scrapes, for every key in either. */
function delta(before: Samples, after: Samples, key: string): number {
  return value(after, key) - value(before, key);
}

function names(samples: Samples): Set<string> {
  return new Set([...samples.keys()].map((key) => key.replace(/\{.*$/, "")));
}

describe("the metrics listener, in process", () => {
  let t: TestApp | undefined;
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await close?.();
    await t?.close();
    close = undefined;
    t = undefined;
  });

  async function start(): Promise<{ t: TestApp; url: string; changes: LocalChangeFeed; metrics: PrometheusMetrics }> {
    const metrics = new PrometheusMetrics();
    const changes = new LocalChangeFeed();
    t = await createTestApp({ keyhold: { metrics, changes } });
    const server = await startMetricsServer(metrics, "127.0.0.1", 0);
    close = server.close;
    return { t, url: server.url, changes, metrics };
  }

  async function scrape(url: string): Promise<Samples> {
    const response = await fetch(url);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    return parse(await response.text());
  }

  function version(app: TestApp, headers: Record<string, string>, remoteAddress: string) {
    return app.app.inject({ method: "GET", url: "/json-api/version?api.version=1", headers, remoteAddress });
  }

  it("counts verifications by scheme and outcome, their durations, lockouts, caches, last-use batches and resyncs exactly", async () => {
    const { t, url, changes } = await start();
    const { token } = await t.keyhold.tokens.create(CLI_ACTOR, "root", { name: "app" });
    const before = await scrape(url);

    expect((await version(t, whmHeader("root", token), CLIENT)).statusCode).toBe(200);
    for (let i = 0; i < 5; i++) expect((await version(t, whmHeader("root", `WRONG${i}`), CLIENT)).statusCode).toBe(401);
    // Five failures from one address block it: the right token is refused now.
    expect((await version(t, whmHeader("root", token), CLIENT)).statusCode).toBe(429);
    await t.keyhold.usage.flush();
    await changes.publish({ kind: "resync" });
    const after = await scrape(url);

    expect(delta(before, after, 'keyhold_verifications_total{outcome="VALID",scheme="whm"}')).toBe(1);
    expect(delta(before, after, 'keyhold_verifications_total{outcome="NOT_FOUND",scheme="whm"}')).toBe(5);
    expect(delta(before, after, 'keyhold_verifications_total{outcome="LOCKED_OUT",scheme="whm"}')).toBe(1);
    expect(delta(before, after, 'keyhold_verifications_total{outcome="VALID",scheme="password"}')).toBe(0);
    expect(delta(before, after, 'keyhold_verification_duration_seconds_count{scheme="whm"}')).toBe(7);
    expect(delta(before, after, 'keyhold_verification_duration_seconds_bucket{le="+Inf",scheme="whm"}')).toBe(7);
    expect(delta(before, after, 'keyhold_verification_duration_seconds_sum{scheme="whm"}')).toBeGreaterThan(0);
    expect(delta(before, after, "keyhold_lockouts_total")).toBe(1);
    // The locked-out call is refused before any lookup: six calls looked up the account and its credentials.
    const lookups = (cache: string) => delta(before, after, `keyhold_cache_lookups_total{cache="${cache}",result="hit"}`) + delta(before, after, `keyhold_cache_lookups_total{cache="${cache}",result="miss"}`);
    expect(lookups("account")).toBe(6);
    expect(lookups("credentials")).toBe(6);
    // The token's creation dropped root's credentials: the first call missed, the five after it hit.
    expect(delta(before, after, 'keyhold_cache_lookups_total{cache="credentials",result="miss"}')).toBe(1);
    expect(delta(before, after, 'keyhold_cache_lookups_total{cache="credentials",result="hit"}')).toBe(5);
    expect(delta(before, after, "keyhold_last_use_batch_writes_total")).toBe(1);
    expect(delta(before, after, "keyhold_last_use_batch_records_total")).toBe(1);
    expect(delta(before, after, "keyhold_change_feed_resyncs_total")).toBe(1);
    expect(delta(before, after, "keyhold_store_errors_total")).toBe(0);
    // Node's own metrics ride along in the same registry.
    expect(after.has("process_cpu_user_seconds_total")).toBe(true);

    // Password logins are their own scheme.
    const basic = await t.app.inject({ method: "GET", url: "/json-api/version?api.version=1", headers: authorization(ROOT), remoteAddress: OTHER });
    expect(basic.statusCode).toBe(200);
    const third = await scrape(url);
    expect(delta(after, third, 'keyhold_verifications_total{outcome="VALID",scheme="password"}')).toBe(1);
    expect(delta(after, third, 'keyhold_verification_duration_seconds_count{scheme="password"}')).toBe(1);
    expect(delta(after, third, 'keyhold_verification_duration_seconds_count{scheme="whm"}')).toBe(0);
  });

  it("answers only GET /metrics; the public port has no /metrics, with or without root's credentials", async () => {
    const { t, url } = await start();
    expect((await fetch(url.replace(/\/metrics$/, "/"))).status).toBe(404);
    expect((await fetch(url.replace(/\/metrics$/, "/healthz"))).status).toBe(404);
    expect((await fetch(url, { method: "POST" })).status).toBe(404);
    expect((await t.app.inject({ method: "GET", url: "/metrics" })).statusCode).toBe(404);
    expect((await t.app.inject({ method: "GET", url: "/metrics", headers: authorization(ROOT) })).statusCode).toBe(404);
  });

  it("the Grafana dashboard is valid and every metric its queries name is in a scrape", async () => {
    const { t, url } = await start();
    // A verification of each kind, so every labelled series exists.
    await t.app.inject({ method: "GET", url: "/json-api/version?api.version=1", headers: authorization(ROOT) });
    const scraped = names(await scrape(url));
    const dashboard = JSON.parse(readFileSync(join(PROJECT, "examples", "grafana", "keyhold-dashboard.json"), "utf8"));
    expect(typeof dashboard.schemaVersion).toBe("number");
    expect(typeof dashboard.title).toBe("string");
    expect(Array.isArray(dashboard.panels)).toBe(true);
    const expressions: string[] = [];
    for (const panel of dashboard.panels) {
      expect(typeof panel.title).toBe("string");
      expect(panel.gridPos).toEqual(expect.objectContaining({ h: expect.any(Number), w: expect.any(Number), x: expect.any(Number), y: expect.any(Number) }));
      for (const target of panel.targets ?? []) expressions.push(target.expr);
    }
    expect(expressions.length).toBeGreaterThanOrEqual(8);
    const referenced = new Set(expressions.flatMap((expr) => [...expr.matchAll(/\b((?:keyhold|process|nodejs)_[a-z0-9_]+)/g)].map((match) => match[1]!)));
    for (const name of [
      "keyhold_verifications_total",
      "keyhold_verification_duration_seconds_bucket",
      "keyhold_lockouts_total",
      "keyhold_cache_lookups_total",
      "keyhold_change_feed_resyncs_total",
      "keyhold_change_feed_lag_seconds",
      "keyhold_last_use_batch_writes_total",
      "keyhold_last_use_batch_records_total",
      "keyhold_store_errors_total",
    ]) {
      expect(referenced, name).toContain(name);
    }
    for (const name of referenced) expect(scraped, `${name} is not in a scrape`).toContain(name);
  });
});

describe("change-feed lag over PostgreSQL", () => {
  it("a notice from another instance sets keyhold_change_feed_lag_seconds", async () => {
    const schema = uniqueSchema("metrics");
    const connection = parsePostgresUrl(schemaUrl(schema));
    const [a, b] = await Promise.all([PostgresChangeFeed.start(connection, () => {}), PostgresChangeFeed.start(connection, () => {})]);
    try {
      const metrics = new PrometheusMetrics({ defaultMetrics: false });
      b.observe(metrics);
      const heard = new Promise<void>((resolve) => b.subscribe((change) => change.kind === "settings" && resolve()));
      await a.publish({ kind: "settings" });
      await heard;
      const samples = parse(await metrics.scrape());
      const lag = value(samples, "keyhold_change_feed_lag_seconds");
      expect(lag).toBeGreaterThanOrEqual(0);
      expect(lag).toBeLessThan(5);
      expect(samples.has("keyhold_change_feed_lag_seconds")).toBe(true);
      expect(value(samples, "keyhold_store_errors_total")).toBe(0);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});

describe("keyhold serve --metrics-listen", () => {
  let server: ServerProcess | undefined;
  let dataDir: string | undefined;
  afterEach(async () => {
    await server?.stop();
    if (dataDir !== undefined) rmSync(dataDir, { recursive: true, force: true });
    server = undefined;
    dataDir = undefined;
  });

  it("serves the metrics on the address given, and not on the public port", async () => {
    dataDir = mkdtempSync(join(tmpdir(), "keyhold-metrics-"));
    const port = await unusedPort();
    server = await startServer(["--data-dir", dataDir, "--log-level", "error", "--metrics-listen", `127.0.0.1:${port}`], { KEYHOLD_ROOT_PASSWORD: "root-password-1" });
    const ok = await fetch(`${server.base}/json-api/version?api.version=1`, { headers: { authorization: `Basic ${Buffer.from("root:root-password-1").toString("base64")}` } });
    expect(ok.status).toBe(200);
    const response = await fetch(`http://127.0.0.1:${port}/metrics`);
    expect(response.status).toBe(200);
    const samples = parse(await response.text());
    expect(value(samples, 'keyhold_verifications_total{outcome="VALID",scheme="password"}')).toBe(1);
    expect(value(samples, 'keyhold_verification_duration_seconds_count{scheme="password"}')).toBe(1);
    expect((await fetch(`http://127.0.0.1:${port}/other`)).status).toBe(404);
    expect((await fetch(`${server.base}/metrics`)).status).toBe(404);
  });

  it("serves no metrics anywhere without the flag", async () => {
    dataDir = mkdtempSync(join(tmpdir(), "keyhold-metrics-"));
    const port = await unusedPort();
    server = await startServer(["--data-dir", dataDir, "--log-level", "error"], { KEYHOLD_ROOT_PASSWORD: "root-password-1", KEYHOLD_METRICS_LISTEN: "" });
    expect((await fetch(`${server.base}/metrics`)).status).toBe(404);
    await expect(fetch(`http://127.0.0.1:${port}/metrics`)).rejects.toThrow();
  });

  it("takes KEYHOLD_METRICS_LISTEN, and refuses a bad address", async () => {
    dataDir = mkdtempSync(join(tmpdir(), "keyhold-metrics-"));
    const port = await unusedPort();
    server = await startServer(["--data-dir", dataDir, "--log-level", "error"], { KEYHOLD_ROOT_PASSWORD: "root-password-1", KEYHOLD_METRICS_LISTEN: `127.0.0.1:${port}` });
    expect((await fetch(`http://127.0.0.1:${port}/metrics`)).status).toBe(200);
    await server.stop();
    const refused = await serveRefusal(["--data-dir", dataDir, "--metrics-listen", "127.0.0.1:99999"]);
    expect(refused.refused).toBe(true);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/Invalid metrics address/);
  });
});
