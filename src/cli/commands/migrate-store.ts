import { Command } from "commander";
import { Presets, SingleBar } from "cli-progress";
import { copyStore, fingerprintStore } from "../../store/copy.js";
import { describeStore, openStoreAt } from "../../store/open.js";
import { verboseLine } from "../context.js";

interface MigrateFlags {
  from: string;
  to: string;
  force?: boolean;
}

export function migrateStoreCommand(): Command {
  return new Command("migrate-store")
    .description("copy a whole store (e.g. the embedded SQLite one) into another (e.g. PostgreSQL), then verify the copy")
    .requiredOption("--from <location>", "source: an SQLite file path, sqlite:<path>, or postgres://…")
    .requiredOption("--to <location>", "target: postgres://… (optionally ?schema=name), or an SQLite path")
    .option("--force", "replace what a non-empty target holds")
    .action(async (flags: MigrateFlags) => {
      verboseLine(`store ${describeStore(flags.from, ".")} copied to ${describeStore(flags.to, ".")}`);
      // The source must exist; the target is the one store this command exists to create.
      const from = await openStoreAt(flags.from, { create: false });
      try {
        const to = await openStoreAt(flags.to);
        try {
          const bar = process.stderr.isTTY ? new SingleBar({ stream: process.stderr, format: "copying [{bar}] {value}/{total} records" }, Presets.shades_classic) : null;
          await copyStore(from, to, {
            overwrite: flags.force === true,
            onProgress(done, total) {
              if (done === 1) bar?.start(total, 0);
              bar?.update(done);
            },
          });
          bar?.stop();
          const [source, target] = await Promise.all([fingerprintStore(from), fingerprintStore(to)]);
          const mismatched = Object.keys(source.counts).filter((table) => source.counts[table] !== target.counts[table] || source.digests[table] !== target.digests[table]);
          for (const table of Object.keys(source.counts)) {
            process.stdout.write(`${table.padEnd(18)} ${String(source.counts[table]).padStart(7)} copied  ${mismatched.includes(table) ? "MISMATCH" : "verified"}\n`);
          }
          if (mismatched.length > 0) throw new Error(`The copy does not match the source in: ${mismatched.join(", ")}.`);
          process.stdout.write("The copy is complete and verified. Use the same key file with the new store: it decrypts the access hashes.\n");
        } finally {
          await to.close();
        }
      } finally {
        await from.close();
      }
    });
}
