import { Command } from "commander";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { resolveServerConfig, type ServeFlags } from "../../config.js";
import { AccessRules } from "../../core/access-rules.js";
import { openKeyhold, withStoreOptions } from "../context.js";
import { JsonlAuditForwarder, SyslogAuditForwarder, type AuditForwarder } from "../../core/audit-forward.js";

const SESSION_PRUNE_INTERVAL_MS = 60 * 60_000;

export function serveCommand(): Command {
  const command = new Command("serve")
    .description("run the Keyhold server (WHM API on 2086, or 2087 with TLS)")
    .option("--host <host>", "address to listen on (env KEYHOLD_HOST)", undefined)
    .option("--port <port>", "port to listen on; default 2086, or 2087 with TLS (env KEYHOLD_PORT)")
    .option("--tls-cert <file>", "TLS certificate (PEM) (env KEYHOLD_TLS_CERT)")
    .option("--tls-key <file>", "TLS private key (PEM) (env KEYHOLD_TLS_KEY)");
  // The store's flags, as every other command takes them.
  return withStoreOptions(command)
    .option("--redis <url>", "Redis URL for brute-force counters shared by several instances (env KEYHOLD_REDIS_URL)")
    .option("--trust-proxy <list>", "comma-separated addresses/CIDRs of reverse proxies to believe X-Forwarded-* from (env KEYHOLD_TRUST_PROXY)")
    .option("--insecure-http", "allow new secrets to be sent over plain HTTP to non-loopback clients (env KEYHOLD_INSECURE_HTTP=1)")
    .option("--upstream <url>", "gateway mode: forward authenticated requests to this application (env KEYHOLD_UPSTREAM)")
    .option("--mount <prefix>", "gateway mode: the path prefix to protect and forward, removed on the way (default /) (env KEYHOLD_MOUNT)")
    .option("--auth-rules <file>", "JSON rules of the ACLs each path prefix and method needs, for auth_request and the gateway (env KEYHOLD_AUTH_RULES)")
    .option("--metrics-listen <host:port>", "serve Prometheus metrics at GET /metrics on this separate address, e.g. 127.0.0.1:9464; off unless given (env KEYHOLD_METRICS_LISTEN)")
    .option("--log-level <level>", "fatal, error, warn, info, debug (env KEYHOLD_LOG_LEVEL)")
    .option("--audit-jsonl <file>", "append each audit entry, after it commits, to this file as one JSON line (created 0600) (env KEYHOLD_AUDIT_JSONL)")
    .option("--audit-syslog <url>", "send each audit entry, after it commits, to syslog as RFC 5424: udp://host:514, tcp://host:514 or tls://host:6514 (env KEYHOLD_AUDIT_SYSLOG)")
    .action(async (flags: ServeFlags) => {
      const config = resolveServerConfig(flags, process.env);
      const rules = config.authRulesFile === undefined ? AccessRules.none() : AccessRules.fromFile(config.authRulesFile);
      // prom-client is loaded only when metrics are asked for.
      const metricsModule = config.metricsListen === undefined ? undefined : await import("../../http/metrics.js");
      const metrics = metricsModule === undefined ? undefined : new metricsModule.PrometheusMetrics();
      // Forwarding never fails a request: its errors go to stderr (the log).
      const forwardError = (error: unknown) => process.stderr.write(`keyhold: ${(error as Error).message ?? String(error)}\n`);
      const auditForwarders: AuditForwarder[] = [
        ...(config.auditJsonl === undefined ? [] : [new JsonlAuditForwarder(config.auditJsonl, forwardError)]),
        ...(config.auditSyslog === undefined ? [] : [new SyslogAuditForwarder(config.auditSyslog, forwardError)]),
      ];
      const keyhold = await openKeyhold(
        { dataDir: config.dataDir, databaseUrl: config.databaseUrl, keyFile: config.keyFile },
        // The one command that creates a store (and its key file) on first start.
        { redisUrl: config.redisUrl, create: true, auditForwarders, ...(metrics === undefined ? {} : { metrics }) },
      );

      const rootPassword = config.rootPassword ?? randomBytes(18).toString("base64url");
      if (await keyhold.accounts.ensureRoot(rootPassword)) {
        if (config.rootPassword === undefined) {
          process.stdout.write(`Set up the root account. Its password, shown only this once: ${rootPassword}\n`);
        } else {
          process.stdout.write("Set up the root account with the password from KEYHOLD_ROOT_PASSWORD.\n");
        }
      }

      // Loaded here, not at the top: every other command would otherwise pay for loading the server.
      const { buildServer } = await import("../../http/server.js");
      const https = config.tls === null ? undefined : { cert: readFileSync(config.tls.certFile), key: readFileSync(config.tls.keyFile) };
      // The HTTP options alone: the root password stays out of what the server keeps.
      const http = { trustProxy: config.trustProxy, insecureHttp: config.insecureHttp, bodyLimit: config.bodyLimit, logLevel: config.logLevel };
      const app = buildServer(keyhold, http, {
        rules,
        ...(https === undefined ? {} : { https }),
        ...(config.upstream === undefined ? {} : { gateway: { upstream: config.upstream, mount: config.mount } }),
      });
      const pruner = setInterval(() => {
        keyhold.sessions.pruneExpired().catch((error: unknown) => app.log.error({ err: error }, "pruning expired sessions failed"));
        pruneAudit();
      }, SESSION_PRUNE_INTERVAL_MS);
      // Several instances may prune at once: the chain lock makes the second find nothing left to do.
      function pruneAudit(): void {
        keyhold.audit
          .prune(keyhold.settings.get().audit_retention_days, keyhold.clock.now())
          .then((removed) => {
            if (removed > 0) app.log.info(`audit retention: removed ${removed} entries, checkpoint signed`);
          })
          .catch((error: unknown) => app.log.error({ err: error }, "audit retention failed"));
      }
      pruneAudit();
      pruner.unref();

      let metricsServer: { close(): Promise<void> } | undefined;
      let stopping = false;
      async function stop(signal: string): Promise<void> {
        if (stopping) return;
        stopping = true;
        app.log.info(`${signal}: shutting down`);
        clearInterval(pruner);
        await metricsServer?.close();
        await app.close();
        await keyhold.close();
        process.exit(0);
      }
      process.on("SIGINT", () => void stop("SIGINT"));
      process.on("SIGTERM", () => void stop("SIGTERM"));

      if (metricsModule !== undefined && metrics !== undefined && config.metricsListen !== undefined) {
        const started = await metricsModule.startMetricsServer(metrics, config.metricsListen.host, config.metricsListen.port);
        metricsServer = started;
        process.stdout.write(`Keyhold metrics on ${started.url}\n`);
      }
      const address = await app.listen({ host: config.host, port: config.port });
      process.stdout.write(`Keyhold listening on ${address}\n`);
    });
}
