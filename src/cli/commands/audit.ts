import { Command, InvalidArgumentError } from "commander";
import { Presets, SingleBar } from "cli-progress";
import type { StoreFlags } from "../../config.js";
import { withKeyhold, withStoreOptions } from "../context.js";
import { isoTime, printJson, printRows } from "../output.js";

interface AuditFlags extends StoreFlags {
  json?: boolean;
  actor?: string;
  action?: string;
  target?: string;
  since?: number;
  limit: number;
}

function parseTime(text: string): number {
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) throw new InvalidArgumentError("use an ISO 8601 time such as 2026-11-22T10:00:00Z");
  return ms;
}

function parseLimit(text: string): number {
  const limit = Number(text);
  if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) throw new InvalidArgumentError("use a whole number from 1 to 10000");
  return limit;
}

export function auditCommand(): Command {
  const command = new Command("audit").description("read the accounting (audit) log");
  withStoreOptions(command.command("list"))
    .description("list audit entries, newest first")
    .option("--actor <username>", "only entries by this actor")
    .option("--action <action>", "only this action, e.g. token.create or login.failure")
    .option("--target <target>", "only entries about this target")
    .option("--since <time>", "only entries at or after this ISO 8601 time", parseTime)
    .option("--limit <n>", "at most this many entries", parseLimit, 100)
    .option("--json", "print JSON")
    .action(async (flags: AuditFlags) => {
      await withKeyhold(flags, async (keyhold) => {
        const entries = await keyhold.audit.list({
          limit: flags.limit,
          ...(flags.actor === undefined ? {} : { actor: flags.actor }),
          ...(flags.action === undefined ? {} : { action: flags.action }),
          ...(flags.target === undefined ? {} : { target: flags.target }),
          ...(flags.since === undefined ? {} : { since: flags.since }),
        });
        const rows = entries.map((entry) => ({ ...entry, at: isoTime(entry.at), detail: flags.json === true ? entry.detail : JSON.stringify(entry.detail) }));
        printRows(rows, ["at", "actor", "ip", "action", "target", "outcome", "detail"], flags.json === true);
      });
    });
  withStoreOptions(command.command("verify"))
    .description("check the audit hash chain; exits 1 naming the first entry changed, missing or out of order")
    .option("--json", "print the result as JSON")
    .action(async (flags: StoreFlags & { json?: boolean }) => {
      await withKeyhold(flags, async (keyhold) => {
        const bar = process.stdout.isTTY && flags.json !== true ? new SingleBar({ stream: process.stdout, format: "verifying [{bar}] {value}/{total} entries" }, Presets.shades_classic) : null;
        let started = false;
        let result;
        try {
          result = await keyhold.audit.verify((done, total) => {
            if (bar === null) return;
            if (!started) {
              bar.start(total, 0);
              started = true;
            }
            bar.update(done);
          });
        } finally {
          if (started) bar?.stop();
        }
        if (flags.json === true) printJson(result);
        else if (result.ok) process.stdout.write(`audit chain intact: ${result.entries} entries${result.headSeq === null ? "" : `, head seq ${result.headSeq}`}\n`);
        else process.stderr.write(`${result.message}\n`);
        if (!result.ok) process.exitCode = 1;
      });
    });
  return command;
}
