import { Command } from "commander";
import { CLI_ACTOR } from "../../core/actor.js";
import { KeyholdError } from "../../core/errors.js";
import { DEFAULT_HTTP_PORT, resolveRedisUrl, resolveStoreLocation, type StoreFlags } from "../../config.js";
import { openKeyhold, withStoreOptions } from "../context.js";
import { isoTime, printJson, printRows } from "../output.js";

interface BruteForceFlags extends StoreFlags {
  redis?: string;
  url?: string;
  user?: string;
  token?: string;
  json?: boolean;
}

interface BlockRow {
  readonly key: string;
  readonly kind: string;
  readonly failures: number;
  readonly blocked_until: number | null;
  readonly retry_after: number | null;
}

/**
 * Where the blocks are decides how they are reached. Without Redis they live in the running
 * server's memory, which no other process can see: the command then asks that server through
 * its REST API, with a root API token. With Redis (`--redis`, as `serve` was given) every
 * instance reads them there, so the command changes them there directly.
 */
interface Blocks {
  list(): Promise<BlockRow[]>;
  flush(target: string | null): Promise<string[]>;
  close(): Promise<void>;
}

export function bruteForceCommand(): Command {
  const command = new Command("brute-force").description("list and flush brute-force blocks (cPHulk's flush)");
  withOptions(command.command("list"))
    .description("list blocked addresses, users and verify-API callers, and counted failures")
    .option("--json", "print JSON")
    .action(async (flags: BruteForceFlags) => {
      await withBlocks(flags, async (blocks) => {
        const rows = await blocks.list();
        if (flags.json === true) printJson(rows);
        else printRows(rows.map((row) => ({ ...row, blocked_until: row.blocked_until === null ? null : isoTime(row.blocked_until) })), ["key", "kind", "failures", "blocked_until", "retry_after"], false);
      });
    });
  withOptions(command.command("flush [target]"))
    .description("forget the blocks and failures of an address (an IPv6 address: its /64), a user, or a key as listed; all of them without a target")
    .option("--json", "print JSON")
    .action(async (target: string | undefined, flags: BruteForceFlags) => {
      await withBlocks(flags, async (blocks) => {
        const flushed = await blocks.flush(target ?? null);
        if (flags.json === true) printJson({ flushed });
        else if (flushed.length === 0) process.stdout.write(`Nothing to flush${target === undefined ? "" : ` for ${target}`}.\n`);
        else process.stdout.write(`Flushed ${flushed.join(", ")}\n`);
      });
    });
  return command;
}

function withOptions(command: Command): Command {
  return withStoreOptions(command)
    .option("--redis <url>", "the Redis the servers share brute-force counters through; then the store is opened too (env KEYHOLD_REDIS_URL)")
    .option("--url <url>", `the running server, without --redis (env KEYHOLD_URL; default http://127.0.0.1:${DEFAULT_HTTP_PORT})`)
    .option("--user <name>", "the account the API token belongs to", "root")
    .option("--token <token>", "a root API token for --url (env KEYHOLD_TOKEN; the environment keeps it out of the process list)");
}

async function withBlocks(flags: BruteForceFlags, work: (blocks: Blocks) => Promise<void>): Promise<void> {
  const redisUrl = resolveRedisUrl(flags, process.env);
  const blocks = redisUrl !== undefined && redisUrl !== "" ? await inRedis(flags, redisUrl) : overRest(flags);
  try {
    await work(blocks);
  } finally {
    await blocks.close();
  }
}

async function inRedis(flags: BruteForceFlags, redisUrl: string): Promise<Blocks> {
  // The store gives the settings (the periods) and takes the audit entry of a flush.
  const keyhold = await openKeyhold(resolveStoreLocation(flags, process.env), { create: false, redisUrl });
  return {
    list: async () =>
      (await keyhold.blocks.list(CLI_ACTOR)).map((block) => ({ key: block.key, kind: block.kind, failures: block.failures, blocked_until: block.blockedUntil, retry_after: block.retryAfterSeconds })),
    flush: (target) => keyhold.blocks.flush(CLI_ACTOR, target),
    close: () => keyhold.close(),
  };
}

function overRest(flags: BruteForceFlags): Blocks {
  const token = flags.token ?? process.env.KEYHOLD_TOKEN;
  if (token === undefined || token === "") {
    throw new KeyholdError(
      "INVALID_ARGUMENT",
      "Brute-force blocks live in the running server's memory unless the servers share Redis. Give a root API token (KEYHOLD_TOKEN or --token) and, if the server is not on " +
        `http://127.0.0.1:${DEFAULT_HTTP_PORT}, its --url; or give --redis when the servers use Redis.`,
    );
  }
  const base = (flags.url ?? process.env.KEYHOLD_URL ?? `http://127.0.0.1:${DEFAULT_HTTP_PORT}`).replace(/\/+$/, "");
  const call = async <T>(method: "GET" | "DELETE", path: string): Promise<T> => {
    let response: Response;
    try {
      response = await fetch(`${base}/api/v1${path}`, { method, headers: { authorization: `whm ${flags.user ?? "root"}:${token}`, accept: "application/json" } });
    } catch (error) {
      throw new KeyholdError("UNAVAILABLE", `Cannot reach the Keyhold server at ${base} (${error instanceof Error && error.cause instanceof Error ? error.cause.message : String(error)}). Is it running? Give its address with --url.`);
    }
    const body = (await response.json().catch(() => null)) as { error?: string; msg?: T; status?: string } | null;
    if (response.ok && body?.status === "success") return body.msg as T;
    throw new KeyholdError("UNAVAILABLE", `The server at ${base} answered ${response.status}: ${body?.error ?? "(no Keyhold answer)"}`);
  };
  return {
    list: () => call<BlockRow[]>("GET", "/brute-force"),
    flush: async (target) => (await call<{ flushed: string[] }>("DELETE", target === null ? "/brute-force" : `/brute-force/${encodeURIComponent(target)}`)).flushed,
    close: async () => {},
  };
}
