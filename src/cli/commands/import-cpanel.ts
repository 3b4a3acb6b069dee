import { Command } from "commander";
import { Presets, SingleBar } from "cli-progress";
import { CLI_ACTOR } from "../../core/actor.js";
import { readCpanelSnapshot } from "../../core/cpanel-files.js";
import { importCpanelSnapshot } from "../../core/cpanel-import.js";
import type { StoreFlags } from "../../config.js";
import { withKeyhold, withStoreOptions } from "../context.js";
import { printJson } from "../output.js";

export function importCpanelCommand(): Command {
  return withStoreOptions(new Command("import-cpanel"))
    .description("take over resellers, API tokens, access hashes and the access hash setting from a copy of a cPanel server's files")
    .argument("<root-dir>", "directory holding the copy (with var/cpanel/…, root/ and home/ under it)")
    .option("--dry-run", "report what would be imported, change nothing")
    .option("--json", "print the report as JSON")
    .action(async (rootDir: string, flags: StoreFlags & { dryRun?: boolean; json?: boolean }) => {
      const snapshot = readCpanelSnapshot(rootDir);
      const report = await withKeyhold(flags, async (keyhold) => {
        const bar = process.stderr.isTTY && flags.json !== true ? new SingleBar({ stream: process.stderr }, Presets.shades_classic) : null;
        const lines = await importCpanelSnapshot(keyhold, CLI_ACTOR, snapshot, {
          dryRun: flags.dryRun === true,
          onProgress(done, total) {
            if (bar === null) return;
            if (done === 1) bar.start(total, 0);
            bar.update(done);
          },
        });
        bar?.stop();
        return lines;
      });
      if (flags.json === true) printJson(report);
      else for (const line of report) process.stdout.write(`${line.outcome.padEnd(8)} ${line.subject}: ${line.detail}\n`);
      const errors = report.filter((line) => line.outcome === "error");
      const stream = errors.length > 0 ? process.stderr : process.stdout;
      const counts = ["created", "imported", "set", "skipped", "error"].map((outcome) => `${report.filter((line) => line.outcome === outcome).length} ${outcome}`);
      stream.write(`${flags.dryRun === true ? "Dry run: " : ""}${counts.join(", ")}.\n`);
      if (errors.length > 0) process.exitCode = 1;
    });
}
