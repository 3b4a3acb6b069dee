import { execFile, spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { existsSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

export const PROJECT = fileURLToPath(new URL("..", import.meta.url));
export const CLI = join(PROJECT, "dist", "src", "cli", "main.js");

export interface ServerProcess {
  readonly base: string;
  readonly child: ChildProcess;
  /** Resolves with the exit code and signal once the process has exited. */
  readonly exited: Promise<[number | null, NodeJS.Signals | null]>;
  /** Everything the process wrote to stderr so far. */
  stderr(): string;
  stop(): Promise<void>;
}

/** The environment without the caller's KEYHOLD_* settings, so tests see only what they set. */
export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith("KEYHOLD_")));
  return { ...env, ...extra };
}

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

const execFileAsync = promisify(execFile);

/**
 * Runs the built CLI to completion in `cwd` (the project unless given), with `input` (or
 * nothing) on its stdin and none of the caller's KEYHOLD_* settings. A non-zero exit is an
 * outcome to assert on, not an exception.
 */
export async function runCli(args: readonly string[], options: { cwd?: string; input?: string } = {}): Promise<CliRun> {
  const pending = execFileAsync(process.execPath, [CLI, ...args], { cwd: options.cwd ?? PROJECT, env: cleanEnv(), encoding: "utf8" });
  pending.child.stdin?.end(options.input ?? "");
  try {
    const { stdout, stderr } = await pending;
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failure = error as { code?: unknown; stdout?: string; stderr?: string };
    if (typeof failure.code !== "number") throw error;
    return { code: failure.code, stdout: failure.stdout ?? "", stderr: failure.stderr ?? "" };
  }
}

/**
 * Starts `keyhold serve` as a real process on an ephemeral port and resolves once it announces
 * its address (no sleeping); rejects at once if it exits first.
 */
export async function startServer(args: readonly string[], env: Record<string, string>): Promise<ServerProcess> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first`);
  const child = spawn(process.execPath, [CLI, "serve", "--port", "0", ...args], { cwd: PROJECT, env: cleanEnv(env), stdio: ["ignore", "pipe", "pipe"] });
  const exited = once(child, "exit") as Promise<[number | null, NodeJS.Signals | null]>;
  let stderr = "";
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const base = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on("line", (line) => {
      const match = /^Keyhold listening on (https?:\/\/[^\s]+)$/.exec(line);
      if (match) resolve(match[1]!);
    });
    void exited.then(([code, signal]) => reject(new Error(`keyhold serve exited (${code ?? signal}) before listening:\n${stderr}`)));
  });
  return {
    base,
    child,
    exited,
    stderr: () => stderr,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        await exited;
      }
    },
  };
}

export interface RefusedStart {
  /** False when the server started after all (and was stopped again). */
  readonly refused: boolean;
  readonly code: number | null;
  readonly stderr: string;
}

/**
 * Runs `keyhold serve` where it must refuse to start: resolves with its exit code and stderr,
 * or, should it announce its address instead, stops it and says so.
 */
export async function serveRefusal(args: readonly string[], env: Record<string, string> = {}): Promise<RefusedStart> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first`);
  const child = spawn(process.execPath, [CLI, "serve", "--port", "0", ...args], { cwd: PROJECT, env: cleanEnv(env), stdio: ["ignore", "pipe", "pipe"] });
  // "close", not "exit": the message is on stderr, which may still be draining at exit.
  const closed = once(child, "close") as Promise<[number | null, NodeJS.Signals | null]>;
  let stderr = "";
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  let listened = false;
  createInterface({ input: child.stdout! }).on("line", (line) => {
    if (/^Keyhold listening on /.test(line)) {
      listened = true;
      child.kill("SIGTERM");
    }
  });
  const [code] = await closed;
  return { refused: !listened, code, stderr };
}

/** A loopback port nothing listens on (it was free a moment ago). */
export async function unusedPort(): Promise<number> {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  server.close();
  await once(server, "close");
  return port;
}
