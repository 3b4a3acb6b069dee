// Installing Keyhold as a service (issue 16 §4): the Dockerfile, docker-compose.yml and the
// systemd unit in examples/systemd, checked as far as this machine can check them, and what
// `keyhold serve` does on SIGTERM, checked on a real process.
//
// Not run here: no Docker daemon, so no image is built and no container started (the Dockerfile
// is read line by line, and its HEALTHCHECK command is run against a real server instead); no
// `docker compose`, so the compose file is parsed as YAML and checked field by field (the
// `docker compose config` check below runs where the plugin is installed); no systemd as PID 1,
// so the unit is verified with `systemd-analyze` but never started.
import Database from "better-sqlite3";
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request as httpRequest, type IncomingMessage } from "node:http";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { parse as parseYaml } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resolveServerConfig } from "../src/config.js";
import { CLI, PROJECT, cleanEnv, startServer, type ServerProcess } from "./server-process.js";

const read = (path: string): string => readFileSync(join(PROJECT, path), "utf8");
const ROOT_PASSWORD = "packaging-root-password-1";
/** The command docs/operations.md and docker-compose.yml give for making the shared key file. */
const KEY_FILE_COMMAND = `(umask 077; printf 'keyhold-key-v1\\n%s\\n' "$(openssl rand -base64 32)" > secrets/keyhold.key)`;

function has(command: string, args: readonly string[]): boolean {
  const result = spawnSync(command, args, { encoding: "utf8" });
  return result.error === undefined && result.status === 0;
}
const SYSTEMD_ANALYZE = "/usr/bin/systemd-analyze";
const haveSystemdAnalyze = existsSync(SYSTEMD_ANALYZE);
const haveOpenssl = has("openssl", ["version"]);
const haveCompose = has("docker", ["compose", "version"]);

/** Every KEYHOLD_* variable `keyhold serve` reads: the ones its config resolves, and root's password. */
const KNOWN_VARIABLES = new Set([...read("src/config.ts").matchAll(/env\.(KEYHOLD_[A-Z_]+)/g)].map((match) => match[1]!).concat("KEYHOLD_ROOT_PASSWORD"));

// ---------------------------------------------------------------------------------------------
// Dockerfile

interface Instruction {
  readonly keyword: string;
  readonly args: string;
  readonly stage: number;
}

/** The Dockerfile's instructions, continuation lines joined and comments dropped, each with its stage. */
function dockerfileInstructions(text: string): Instruction[] {
  const logical: string[] = [];
  let pending = "";
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (pending === "" && (line === "" || line.startsWith("#"))) continue;
    if (pending !== "" && line.startsWith("#")) continue;
    if (line.endsWith("\\")) pending += `${line.slice(0, -1).trim()} `;
    else {
      logical.push(pending + line);
      pending = "";
    }
  }
  expect(pending, "the Dockerfile ends in a continuation line").toBe("");
  let stage = -1;
  return logical.map((line) => {
    const match = /^([A-Za-z]+)\s+(.*)$/s.exec(line);
    expect(match, `not an instruction: ${line}`).not.toBeNull();
    const keyword = match![1]!.toUpperCase();
    if (keyword === "FROM") stage += 1;
    return { keyword, args: match![2]!.trim(), stage };
  });
}

/** The HEALTHCHECK's exec-form command, as Docker would run it. */
function healthcheckCommand(instructions: readonly Instruction[]): string[] {
  const healthcheck = instructions.find((instruction) => instruction.keyword === "HEALTHCHECK");
  expect(healthcheck).toBeDefined();
  const match = /^(?:--[a-z-]+=\S+\s+)*CMD\s+(\[.*\])$/s.exec(healthcheck!.args);
  expect(match, "HEALTHCHECK uses CMD in exec form").not.toBeNull();
  const command = JSON.parse(match![1]!) as unknown;
  expect(Array.isArray(command) && command.every((part) => typeof part === "string")).toBe(true);
  return command as string[];
}

/** Runs the health check as the image would (`node` here being this Node), in the environment given. */
async function runHealthcheck(command: readonly string[], env: Record<string, string>): Promise<number | null> {
  expect(command[0]).toBe("node");
  const child = spawn(process.execPath, command.slice(1), { env: cleanEnv(env), stdio: "ignore" });
  const [code] = (await once(child, "exit")) as [number | null];
  return code;
}

/** A port nobody listens on: bound by the system, then released. */
async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const port = (server.address() as { port: number }).port;
  server.close();
  await once(server, "close");
  return port;
}

describe("the Dockerfile", () => {
  const instructions = dockerfileInstructions(read("Dockerfile"));
  const stages = instructions.filter((instruction) => instruction.keyword === "FROM");
  const last = stages.length - 1;
  const inStage = (stage: number, keyword: string) => instructions.filter((instruction) => instruction.stage === stage && instruction.keyword === keyword);
  const runs = (stage: number) => inStage(stage, "RUN").map((instruction) => instruction.args).join("\n");

  it("builds in a stage on node:20-bookworm-slim with the compilers better-sqlite3 needs, then keeps only production dependencies", () => {
    const arg = instructions.find((instruction) => instruction.keyword === "ARG" && instruction.args.startsWith("NODE_IMAGE="));
    expect(arg?.args).toBe("NODE_IMAGE=node:20-bookworm-slim");
    expect(stages.map((stage) => stage.args)).toEqual(["${NODE_IMAGE} AS build", "${NODE_IMAGE} AS runtime"]);
    const build = runs(0);
    expect(build).toMatch(/apt-get install -y --no-install-recommends python3 make g\+\+/);
    // `prepare` builds, so the install skips scripts and better-sqlite3 is compiled by name, before the build.
    const order = ["npm ci --ignore-scripts", "npm rebuild better-sqlite3", "npm run build", "npm prune --omit=dev"].map((step) => build.indexOf(step));
    expect(order.every((position) => position >= 0), build).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    // What the build stage copies exists, and the manifest comes before the sources (layer cache).
    const copied = inStage(0, "COPY").map((instruction) => instruction.args.split(/\s+/).slice(0, -1));
    expect(copied[0]).toEqual(["package.json", "package-lock.json"]);
    for (const path of copied.flat()) expect(existsSync(join(PROJECT, path)), path).toBe(true);
  });

  it("runs the built service as a non-root user, with a data volume, SIGTERM and a health check", () => {
    const copies = inStage(last, "COPY").map((instruction) => instruction.args);
    for (const path of ["/build/node_modules", "/build/dist/src", "/build/dist/web"]) expect(copies.some((copy) => copy.startsWith(`--from=build ${path} `))).toBe(true);
    expect(runs(last)).not.toMatch(/npm (ci|install)|apt-get/);
    const users = inStage(last, "USER").map((instruction) => instruction.args);
    expect(users).toEqual(["keyhold:keyhold"]);
    expect(runs(last)).toMatch(/useradd --system --uid 10001 --gid keyhold/);
    // Nothing runs as root after USER: it comes after the last RUN and COPY of the stage.
    const position = (keyword: string) => instructions.lastIndexOf(inStage(last, keyword).at(-1)!);
    expect(position("USER")).toBeGreaterThan(position("RUN"));
    expect(position("USER")).toBeGreaterThan(position("COPY"));
    expect(inStage(last, "VOLUME").map((instruction) => instruction.args)).toEqual(['["/var/lib/keyhold"]']);
    expect(runs(last)).toMatch(/install -d -m 0700 -o keyhold -g keyhold \/var\/lib\/keyhold/);
    expect(inStage(last, "STOPSIGNAL").map((instruction) => instruction.args)).toEqual(["SIGTERM"]);
    expect(inStage(last, "ENTRYPOINT").map((instruction) => instruction.args)).toEqual(['["keyhold"]']);
    expect(inStage(last, "CMD").map((instruction) => instruction.args)).toEqual(['["serve"]']);
    expect(healthcheckCommand(instructions)[0]).toBe("node");
  });

  it("configures serve, through the environment, to listen on every address and keep its store in the volume", () => {
    const env: Record<string, string> = {};
    for (const instruction of inStage(last, "ENV")) {
      for (const match of instruction.args.matchAll(/([A-Z_]+)=(\S+)/g)) env[match[1]!] = match[2]!;
    }
    for (const name of Object.keys(env).filter((key) => key.startsWith("KEYHOLD_"))) expect(KNOWN_VARIABLES, name).toContain(name);
    const config = resolveServerConfig({}, env);
    expect(config.host).toBe("0.0.0.0");
    expect(config.port).toBe(2086);
    // The store and its key file both land in the volume.
    expect(config.dataDir).toBe("/var/lib/keyhold");
    expect(config.databaseUrl).toBeUndefined();
    expect(config.keyFile ?? join(config.dataDir, "keyhold.key")).toBe("/var/lib/keyhold/keyhold.key");
  });

  it("keeps stores, keys and secrets out of the build context", () => {
    const ignored = read(".dockerignore")
      .split("\n")
      .map((line) => line.trim())
      .filter((line) => line !== "" && !line.startsWith("#"));
    for (const pattern of [".git", "node_modules", "dist", "data", "secrets", "*.sqlite", "*.key", ".env"]) expect(ignored).toContain(pattern);
    // ... but not what the build needs.
    for (const needed of ["src", "web", "package.json", "package-lock.json", "tsconfig.json"]) expect(ignored).not.toContain(needed);
  });

  describe("its HEALTHCHECK command, run against a real server", () => {
    const command = healthcheckCommand(instructions);
    let dir: string;
    let plain: ServerProcess;
    let tls: ServerProcess | undefined;

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), "keyhold-healthcheck-"));
      const starting: Promise<ServerProcess>[] = [startServer(["--data-dir", join(dir, "plain"), "--log-level", "warn"], { KEYHOLD_ROOT_PASSWORD: ROOT_PASSWORD })];
      if (haveOpenssl) {
        const made = spawnSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=keyhold.test", "-keyout", join(dir, "tls.key"), "-out", join(dir, "tls.crt")], { encoding: "utf8" });
        expect(made.status, made.stderr).toBe(0);
        starting.push(startServer(["--data-dir", join(dir, "tls"), "--log-level", "warn", "--tls-cert", join(dir, "tls.crt"), "--tls-key", join(dir, "tls.key")], { KEYHOLD_ROOT_PASSWORD: ROOT_PASSWORD }));
      }
      [plain, tls] = (await Promise.all(starting)) as [ServerProcess, ServerProcess | undefined];
    });
    afterAll(async () => {
      await Promise.all([plain?.stop(), tls?.stop()]);
      rmSync(dir, { recursive: true, force: true });
    });

    it("passes when /healthz answers, with the container's environment", async () => {
      const port = new URL(plain.base).port;
      expect(await runHealthcheck(command, { KEYHOLD_HOST: "0.0.0.0", KEYHOLD_DATA_DIR: "/var/lib/keyhold", KEYHOLD_PORT: port })).toBe(0);
      expect(await runHealthcheck(command, { KEYHOLD_HOST: "127.0.0.1", KEYHOLD_PORT: port })).toBe(0);
    });

    it("fails when nothing answers", async () => {
      expect(await runHealthcheck(command, { KEYHOLD_HOST: "0.0.0.0", KEYHOLD_PORT: String(await freePort()) })).toBe(1);
    });

    it.skipIf(!haveOpenssl)("asks over HTTPS when KEYHOLD_TLS_CERT is set (openssl makes the certificate)", async () => {
      const port = new URL(tls!.base).port;
      expect(await runHealthcheck(command, { KEYHOLD_HOST: "0.0.0.0", KEYHOLD_PORT: port, KEYHOLD_TLS_CERT: join(dir, "tls.crt") })).toBe(0);
      // Without the variable it speaks plain HTTP to a TLS port, and fails.
      expect(await runHealthcheck(command, { KEYHOLD_HOST: "0.0.0.0", KEYHOLD_PORT: port })).toBe(1);
    });
  });
});

// ---------------------------------------------------------------------------------------------
// docker-compose.yml

interface ComposeService {
  image?: string;
  build?: unknown;
  environment?: Record<string, string>;
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
  secrets?: string[];
  volumes?: string[];
  ports?: string[];
  networks?: string[];
  stop_grace_period?: string;
}
interface ComposeFile {
  services: Record<string, ComposeService>;
  secrets: Record<string, { file: string }>;
  volumes: Record<string, unknown>;
  networks: Record<string, { ipam: { config: { subnet: string; gateway: string }[] } }>;
}

describe("docker-compose.yml", () => {
  // Compose reads YAML 1.1 merge keys (`<<: *keyhold`), which the yaml package applies on request.
  const compose = parseYaml(read("docker-compose.yml"), { merge: true }) as ComposeFile;
  const instances = ["keyhold-1", "keyhold-2"].map((name) => compose.services[name]!);

  it("parses, with PostgreSQL 15, Redis 7 and two Keyhold instances built from the Dockerfile", () => {
    expect(Object.keys(compose.services).sort()).toEqual(["keyhold-1", "keyhold-2", "postgres", "redis"]);
    expect(compose.services.postgres!.image).toBe("postgres:15");
    expect(compose.services.redis!.image).toBe("redis:7");
    for (const instance of instances) {
      expect(instance.build).toBe(".");
      expect(instance.image).toBe("keyhold:latest");
    }
  });

  it("checks the health of PostgreSQL and Redis, and starts Keyhold only once both are healthy", () => {
    expect(compose.services.postgres!.healthcheck!.test).toEqual(["CMD-SHELL", "pg_isready -U keyhold -d keyhold"]);
    expect(compose.services.redis!.healthcheck!.test).toEqual(["CMD", "redis-cli", "ping"]);
    for (const instance of instances) {
      expect(instance.depends_on).toEqual({ postgres: { condition: "service_healthy" }, redis: { condition: "service_healthy" } });
      // The image's HEALTHCHECK applies; none overrides it here.
      expect(instance.healthcheck).toBeUndefined();
    }
  });

  it("gives both instances the same database, Redis and key file, each setting one serve reads", () => {
    const [one, two] = instances.map((instance) => instance.environment!);
    expect(one).toEqual(two);
    for (const name of Object.keys(one!)) expect(KNOWN_VARIABLES, name).toContain(name);
    const postgres = compose.services.postgres!.environment!;
    const interpolated = Object.fromEntries(Object.entries(one!).map(([key, value]) => [key, value.replace(/\$\{POSTGRES_PASSWORD:\?[^}]*\}/g, "pw").replace(/\$\{KEYHOLD_ROOT_PASSWORD:-\}/g, "")]));
    const config = resolveServerConfig({}, { KEYHOLD_HOST: "0.0.0.0", KEYHOLD_DATA_DIR: "/var/lib/keyhold", ...interpolated });
    const database = new URL(config.databaseUrl!);
    expect([database.protocol, database.username, database.password, database.host, database.pathname]).toEqual(["postgres:", postgres.POSTGRES_USER, "pw", "postgres:5432", `/${postgres.POSTGRES_DB}`]);
    expect(postgres.POSTGRES_PASSWORD).toBe(one!.KEYHOLD_DATABASE_URL!.match(/\$\{POSTGRES_PASSWORD[^}]*\}/)![0]);
    expect(config.redisUrl).toBe("redis://redis:6379");
    // One key file for every instance: a compose secret, mounted where KEYHOLD_KEY_FILE points.
    expect(config.keyFile).toBe("/run/secrets/keyhold_key");
    for (const instance of instances) expect(instance.secrets).toEqual(["keyhold_key"]);
    expect(compose.secrets.keyhold_key).toEqual({ file: "./secrets/keyhold.key" });
    // The proxy they trust is the network's gateway, from which published ports are reached.
    expect(config.trustProxy).toEqual([compose.networks.keyhold!.ipam.config[0]!.gateway]);
  });

  it("keeps data in named volumes, publishes only on the host's loopback, and allows in-flight requests to finish", () => {
    const declared = Object.keys(compose.volumes);
    const mounted = Object.values(compose.services).flatMap((service) => (service.volumes ?? []).map((volume) => volume.split(":")[0]!));
    expect(mounted.sort()).toEqual(declared.sort());
    expect(compose.services.postgres!.volumes).toEqual(["postgres-data:/var/lib/postgresql/data"]);
    for (const instance of instances) {
      expect(instance.volumes![0]).toMatch(/^keyhold-\d-data:\/var\/lib\/keyhold$/);
      for (const port of instance.ports!) expect(port).toMatch(/^127\.0\.0\.1:\d+:2086$/);
      // Longer than the 30 s a request may take (README, "Slow clients"); Docker's default is 10 s.
      expect(Number.parseInt(instance.stop_grace_period!, 10)).toBeGreaterThan(30);
    }
    expect(compose.services.postgres!.ports).toBeUndefined();
    expect(compose.services.redis!.ports).toBeUndefined();
  });

  it.skipIf(!haveCompose)("is accepted by `docker compose config` (needs the compose plugin, not a daemon)", () => {
    const result = spawnSync("docker", ["compose", "-f", join(PROJECT, "docker-compose.yml"), "config", "--quiet"], { encoding: "utf8", env: { ...process.env, POSTGRES_PASSWORD: "pw" } });
    expect(result.status, result.stderr).toBe(0);
  });
});

// ---------------------------------------------------------------------------------------------
// The systemd unit

/** A unit file as section → key → every value it is given (systemd keys may repeat). */
function parseUnit(text: string): Map<string, Map<string, string[]>> {
  const sections = new Map<string, Map<string, string[]>>();
  let current: Map<string, string[]> | undefined;
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#") || line.startsWith(";")) continue;
    const section = /^\[(.+)\]$/.exec(line);
    if (section) {
      current = new Map();
      sections.set(section[1]!, current);
      continue;
    }
    const pair = /^([A-Za-z]+)=(.*)$/.exec(line);
    expect(pair && current, `unexpected line: ${line}`).toBeTruthy();
    current!.set(pair![1]!, [...(current!.get(pair![1]!) ?? []), pair![2]!]);
  }
  return sections;
}

function runAnalyze(args: readonly string[]): { status: number | null; output: string } {
  const result = spawnSync(SYSTEMD_ANALYZE, args, { encoding: "utf8", env: { ...process.env, SYSTEMD_LOG_COLOR: "0", SYSTEMD_COLORS: "0" } });
  return { status: result.status, output: `${result.stdout}${result.stderr}`.trim() };
}

describe("examples/systemd/keyhold.service", () => {
  const unitText = read("examples/systemd/keyhold.service");
  const unit = parseUnit(unitText);
  const service = unit.get("Service")!;
  const value = (key: string) => service.get(key);

  it("runs `keyhold serve` as its own user, with its state directory and an optional environment file", () => {
    expect(value("Type")).toEqual(["exec"]);
    expect(value("User")).toEqual(["keyhold"]);
    expect(value("StateDirectory")).toEqual(["keyhold"]);
    expect(value("StateDirectoryMode")).toEqual(["0700"]);
    expect(value("EnvironmentFile")).toEqual(["-/etc/keyhold/keyhold.env"]);
    expect(value("ExecStart")).toEqual(["/usr/bin/keyhold serve --data-dir /var/lib/keyhold"]);
    expect(value("KillSignal")).toEqual(["SIGTERM"]);
    expect(Number.parseInt(value("TimeoutStopSec")![0]!, 10)).toBeGreaterThan(30);
    expect(value("Restart")).toEqual(["on-failure"]);
    expect(unit.get("Install")!.get("WantedBy")).toEqual(["multi-user.target"]);
  });

  it("has the hardening options, with W^X left off for V8's JIT", () => {
    const expected: Record<string, string> = {
      NoNewPrivileges: "yes",
      ProtectSystem: "strict",
      ProtectHome: "yes",
      PrivateTmp: "yes",
      PrivateDevices: "yes",
      ProtectKernelTunables: "yes",
      ProtectKernelModules: "yes",
      ProtectKernelLogs: "yes",
      ProtectControlGroups: "yes",
      RestrictAddressFamilies: "AF_INET AF_INET6 AF_UNIX",
      RestrictNamespaces: "yes",
      LockPersonality: "yes",
      MemoryDenyWriteExecute: "no",
      SystemCallFilter: "@system-service",
      CapabilityBoundingSet: "",
      UMask: "0077",
    };
    for (const [key, setting] of Object.entries(expected)) expect(value(key), key).toEqual([setting]);
    expect(unitText).toMatch(/JIT[^\n]*\n[^\n]*MemoryDenyWriteExecute=yes forbids/);
  });

  it("names in its environment file only variables serve reads", () => {
    const names = [...read("examples/systemd/keyhold.env").matchAll(/^#?(KEYHOLD_[A-Z_]+)=/gm)].map((match) => match[1]!);
    expect(names.length).toBeGreaterThan(5);
    for (const name of names) expect(KNOWN_VARIABLES, name).toContain(name);
    // The unit fixes the data directory; the file must not pretend to move it.
    expect(names).not.toContain("KEYHOLD_DATA_DIR");
  });

  describe.skipIf(!haveSystemdAnalyze)("systemd-analyze", () => {
    let dir: string;
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), "keyhold-unit-"));
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    /** The unit with only its ExecStart binary replaced by this checkout's: Node running the built CLI. */
    function installedCopy(): string {
      expect(existsSync(CLI), `${CLI} is missing: run \`npm run build\` first`).toBe(true);
      const path = join(dir, "keyhold.service");
      writeFileSync(path, unitText.replace(/^ExecStart=\/usr\/bin\/keyhold /m, `ExecStart=${process.execPath} ${CLI} `));
      expect(readFileSync(path, "utf8")).not.toBe(unitText);
      return path;
    }

    it("verifies the unit without a warning once its ExecStart binary exists", () => {
      const result = runAnalyze(["verify", installedCopy()]);
      expect(result.output).toBe("");
      expect(result.status).toBe(0);
    });

    it.skipIf(existsSync("/usr/bin/keyhold"))("complains about the unit as shipped only that /usr/bin/keyhold is not installed here", () => {
      const result = runAnalyze(["verify", join(PROJECT, "examples/systemd/keyhold.service")]);
      expect(result.output).toBe("keyhold.service: Command /usr/bin/keyhold is not executable: No such file or directory");
      expect(result.status).not.toBe(0);
    });

    it("rates the unit's exposure as OK (systemd-analyze security --offline)", () => {
      const result = runAnalyze(["security", "--offline=yes", installedCopy()]);
      const exposure = /Overall exposure level for keyhold\.service: ([\d.]+)/.exec(result.output);
      expect(exposure, result.output).not.toBeNull();
      expect(Number(exposure![1])).toBeLessThanOrEqual(2);
    });
  });
});

// ---------------------------------------------------------------------------------------------
// SIGTERM

interface Answer {
  readonly status: number;
  readonly body: { data?: { token?: string; name?: string }; metadata?: { result?: number } };
}

async function bodyOf(response: IncomingMessage): Promise<Answer> {
  let text = "";
  response.setEncoding("utf8");
  for await (const chunk of response) text += chunk as string;
  return { status: response.statusCode ?? 0, body: JSON.parse(text) as Answer["body"] };
}

describe("keyhold serve on SIGTERM", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "keyhold-sigterm-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.skipIf(!haveOpenssl)("accepts a new store's key file made with the documented command", () => {
    expect(read("docs/operations.md")).toContain(KEY_FILE_COMMAND);
    expect(read("docker-compose.yml")).toContain(KEY_FILE_COMMAND.replace(" > secrets/keyhold.key)", ""));
    const made = spawnSync("bash", ["-c", `mkdir -p secrets && ${KEY_FILE_COMMAND}`], { cwd: dir, encoding: "utf8" });
    expect(made.status, made.stderr).toBe(0);
  });

  it("finishes the request in flight, writes the last use recorded before it, and exits 0", async () => {
    const keyFile = join(dir, "secrets", "keyhold.key");
    if (!existsSync(keyFile)) {
      mkdirSync(join(dir, "secrets"), { recursive: true });
      writeFileSync(keyFile, `keyhold-key-v1\n${randomBytes(32).toString("base64")}\n`, { mode: 0o600 });
      chmodSync(keyFile, 0o600);
    }
    const dataDir = join(dir, "data");
    const server = await startServer(["--data-dir", dataDir, "--key-file", keyFile], { KEYHOLD_ROOT_PASSWORD: ROOT_PASSWORD });
    try {
      const { child, base } = server;
      const exited = once(child, "exit") as Promise<[number | null, NodeJS.Signals | null]>;
      const shuttingDown = new Promise<void>((resolve) => {
        createInterface({ input: child.stdout! }).on("line", (line) => {
          if (line.includes("SIGTERM: shutting down")) resolve();
        });
      });

      // A token, then one use of it: recorded in memory, written in batches every 5 s or on shutdown.
      const basic = `Basic ${Buffer.from(`root:${ROOT_PASSWORD}`).toString("base64")}`;
      const created = await fetch(`${base}/json-api/api_token_create?api.version=1&token_name=before-sigterm`, { headers: { authorization: basic } });
      const token = ((await created.json()) as Answer["body"]).data!.token!;
      expect(token).toMatch(/^[0-9A-Z]{32}$/);
      const whm = `whm root:${token}`;
      const used = await fetch(`${base}/json-api/version?api.version=1`, { headers: { authorization: whm } });
      expect(used.status).toBe(200);
      await used.arrayBuffer();
      const lastUse = () => {
        const db = new Database(join(dataDir, "keyhold.sqlite"), { readonly: true, fileMustExist: true });
        try {
          return db.prepare("SELECT last_used_at, last_used_ip FROM api_tokens WHERE name = ?").get("before-sigterm") as { last_used_at: number | null; last_used_ip: string | null };
        } finally {
          db.close();
        }
      };
      // Not written yet, so what is found after exit was written by the shutdown.
      expect(lastUse()).toEqual({ last_used_at: null, last_used_ip: null });

      // The request in flight: authenticated from its headers (Expect: 100-continue makes the
      // server say when it has them), its form body sent in two parts around the SIGTERM.
      const body = "token_name=during-sigterm";
      const slow = httpRequest(`${base}/json-api/api_token_create?api.version=1`, {
        method: "POST",
        agent: false,
        headers: { authorization: whm, "content-type": "application/x-www-form-urlencoded", "content-length": Buffer.byteLength(body), expect: "100-continue" },
      });
      // A reset connection rejects `answered` (once() listens for "error"), awaited below; marked
      // handled now, as it may come before that await.
      slow.on("error", () => undefined);
      const answered = once(slow, "response").then(([response]) => bodyOf(response as IncomingMessage));
      answered.catch(() => undefined);
      await once(slow, "continue");
      slow.write(body.slice(0, 11));

      child.kill("SIGTERM");
      await shuttingDown;
      // The server no longer takes connections, while the request in flight is still open.
      for (;;) {
        const refused = await fetch(`${base}/healthz`).then(
          async (response) => {
            await response.arrayBuffer();
            return response.status === 503;
          },
          () => true,
        );
        if (refused) break;
      }
      expect(child.exitCode).toBeNull();

      slow.end(body.slice(11));
      const answer = await answered;
      expect(answer.status).toBe(200);
      expect(answer.body.metadata?.result).toBe(1);
      expect(answer.body.data?.name).toBe("during-sigterm");
      expect(await exited).toEqual([0, null]);

      const after = lastUse();
      expect(after.last_used_ip).toBe("127.0.0.1");
      expect(after.last_used_at).toBeGreaterThan(0);
      const db = new Database(join(dataDir, "keyhold.sqlite"), { readonly: true, fileMustExist: true });
      try {
        const names = (db.prepare("SELECT name FROM api_tokens ORDER BY name").all() as { name: string }[]).map((row) => row.name);
        expect(names).toEqual(["before-sigterm", "during-sigterm"]);
      } finally {
        db.close();
      }
    } finally {
      await server.stop();
    }
  });
});
