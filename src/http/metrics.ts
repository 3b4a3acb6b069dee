import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { CacheName, KeyholdMetrics } from "../core/metrics.js";

type Child<T extends string> = ReturnType<Counter<T>["labels"]>;
type HistogramChild = ReturnType<Histogram<"scheme">["labels"]>;

interface VerificationChildren {
  readonly count: Child<"scheme" | "outcome">;
  readonly duration: HistogramChild;
}

/**
 * Keyhold's metrics in a prom-client registry of its own (never the global one, so several
 * servers in one process do not clash), with Node's default process metrics alongside.
 * Labelled children are bound once per label set and kept, so a verification costs a map
 * lookup, an increment and an observe.
 */
export class PrometheusMetrics implements KeyholdMetrics {
  readonly registry = new Registry();
  private readonly verifications: Counter<"scheme" | "outcome">;
  private readonly durations: Histogram<"scheme">;
  private readonly lockouts: Counter;
  private readonly cacheLookups: Counter<"cache" | "result">;
  private readonly resyncs: Counter;
  private readonly lag: Gauge;
  private readonly usageBatches: Counter;
  private readonly usageRecords: Counter;
  private readonly storeErrors: Counter;
  // Keyed by scheme, then outcome: no string is built per request.
  private readonly verificationChildren = new Map<string, Map<string, VerificationChildren>>();
  private readonly cacheChildren = new Map<string, readonly [hit: Child<"cache" | "result">, miss: Child<"cache" | "result">]>();

  constructor(options: { readonly defaultMetrics?: boolean } = {}) {
    const registers = [this.registry];
    this.verifications = new Counter({ name: "keyhold_verifications_total", help: "Credential verifications, by scheme and outcome.", labelNames: ["scheme", "outcome"], registers });
    this.durations = new Histogram({
      name: "keyhold_verification_duration_seconds",
      help: "How long a verification took, by scheme.",
      labelNames: ["scheme"],
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    });
    this.lockouts = new Counter({ name: "keyhold_lockouts_total", help: "Verifications refused because a brute-force block or the password-hashing limit was in force.", registers });
    this.cacheLookups = new Counter({ name: "keyhold_cache_lookups_total", help: "Directory cache lookups, by cache and result (hit or miss).", labelNames: ["cache", "result"], registers });
    this.resyncs = new Counter({ name: "keyhold_change_feed_resyncs_total", help: "Times every cache was dropped because changes may have been missed.", registers });
    this.lag = new Gauge({ name: "keyhold_change_feed_lag_seconds", help: "How late the latest change notice from another instance arrived (PostgreSQL feed).", registers });
    this.usageBatches = new Counter({ name: "keyhold_last_use_batch_writes_total", help: "Batches of last-use updates written to the store.", registers });
    this.usageRecords = new Counter({ name: "keyhold_last_use_batch_records_total", help: "Last-use updates written to the store in batches.", registers });
    this.storeErrors = new Counter({ name: "keyhold_store_errors_total", help: "Failed store operations and change-feed notices.", registers });
    for (const cache of ["account", "credentials", "session", "ip_access_hash"] satisfies CacheName[]) this.cacheChild(cache);
    if (options.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry });
  }

  verification(scheme: string, outcome: string, seconds: number): void {
    let byOutcome = this.verificationChildren.get(scheme);
    if (byOutcome === undefined) this.verificationChildren.set(scheme, (byOutcome = new Map()));
    let children = byOutcome.get(outcome);
    if (children === undefined) {
      children = { count: this.verifications.labels(scheme, outcome), duration: this.durations.labels(scheme) };
      byOutcome.set(outcome, children);
    }
    children.count.inc();
    children.duration.observe(seconds);
  }

  lockout(): void {
    this.lockouts.inc();
  }

  cacheLookup(cache: CacheName, hit: boolean): void {
    const children = this.cacheChildren.get(cache) ?? this.cacheChild(cache);
    children[hit ? 0 : 1].inc();
  }

  changeFeedResync(): void {
    this.resyncs.inc();
  }

  changeFeedLag(milliseconds: number): void {
    this.lag.set(milliseconds / 1000);
  }

  usageBatchWritten(records: number): void {
    this.usageBatches.inc();
    this.usageRecords.inc(records);
  }

  storeError(): void {
    this.storeErrors.inc();
  }

  /** The text exposition format, as `GET /metrics` answers it. */
  scrape(): Promise<string> {
    return this.registry.metrics();
  }

  private cacheChild(cache: string): readonly [Child<"cache" | "result">, Child<"cache" | "result">] {
    const children = [this.cacheLookups.labels(cache, "hit"), this.cacheLookups.labels(cache, "miss")] as const;
    // Bound now, so both series appear (at 0) from the first scrape.
    children[0].inc(0);
    children[1].inc(0);
    this.cacheChildren.set(cache, children);
    return children;
  }
}

/**
 * A listener of its own for the metrics, apart from the public port: it answers `GET /metrics`
 * (and HEAD) and 404 to everything else. It resolves with the listening server once bound.
 */
export async function startMetricsServer(metrics: PrometheusMetrics, host: string, port: number): Promise<{ readonly server: Server; readonly url: string; close(): Promise<void> }> {
  const server = createServer((request, response) => {
    const path = (request.url ?? "").split("?")[0];
    if (path !== "/metrics" || (request.method !== "GET" && request.method !== "HEAD")) {
      response.writeHead(404, { "content-type": "text/plain; charset=utf-8" }).end("Not found: the metrics are at GET /metrics.\n");
      return;
    }
    metrics.scrape().then(
      (text) => {
        response.writeHead(200, { "content-type": metrics.registry.contentType, "cache-control": "no-store" });
        response.end(request.method === "HEAD" ? undefined : text);
      },
      (error: unknown) => {
        response.writeHead(500, { "content-type": "text/plain; charset=utf-8" }).end(`Collecting metrics failed: ${String(error)}\n`);
      },
    );
  });
  server.keepAliveTimeout = 5_000;
  server.requestTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const url = `http://${address.family === "IPv6" ? `[${address.address}]` : address.address}:${address.port}/metrics`;
  return {
    server,
    url,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
