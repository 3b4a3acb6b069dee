import { Command } from "commander";
import { Presets, SingleBar } from "cli-progress";
import { resolve } from "node:path";
import { resolveStoreLocation, type StoreFlags } from "../../config.js";
import { backupStore } from "../../store/backup.js";
import { describeStore } from "../../store/open.js";
import { verboseLine, withStoreOptions } from "../context.js";
import { printJson } from "../output.js";

export function backupCommand(): Command {
  return withStoreOptions(
    new Command("backup")
      .description("write a consistent snapshot of the store (SQLite online backup, or pg_dump) with its key file and a manifest; safe while the server runs")
      .argument("<dir>", "where to write it: the directory itself when empty or missing, otherwise a new keyhold-<UTC timestamp> directory inside it"),
  )
    .option("--json", "print the manifest as JSON")
    .action(async (dir: string, flags: StoreFlags & { json?: boolean }) => {
      const location = resolveStoreLocation(flags, process.env);
      verboseLine(`store ${describeStore(location.databaseUrl, location.dataDir)}, key ${resolve(location.keyFile)}`);
      const bar = process.stdout.isTTY && flags.json !== true ? new SingleBar({ stream: process.stdout, format: "backing up [{bar}] {value}/{total} pages" }, Presets.shades_classic) : null;
      let started = false;
      try {
        const { directory, manifest } = await backupStore(location, dir, {
          onProgress(done, total) {
            if (bar === null) return;
            if (!started) {
              bar.start(total, 0);
              started = true;
            }
            bar.setTotal(total);
            bar.update(done);
          },
        });
        bar?.stop();
        if (flags.json === true) {
          printJson({ directory, ...manifest });
          return;
        }
        const records = Object.entries(manifest.counts).map(([table, n]) => `${table} ${n}`).join(", ");
        process.stdout.write(`Backed up ${describeStore(location.databaseUrl, location.dataDir)} to ${directory}\n${records}\n`);
      } finally {
        if (started) bar?.stop();
      }
    });
}
