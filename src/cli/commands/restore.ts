import { Command } from "commander";
import { resolve } from "node:path";
import { resolveStoreLocation, type StoreFlags } from "../../config.js";
import { restoreSnapshot } from "../../store/restore.js";
import { describeStore } from "../../store/open.js";
import { verboseLine, withStoreOptions } from "../context.js";
import { printJson } from "../output.js";

export function restoreCommand(): Command {
  return withStoreOptions(
    new Command("restore")
      .description("restore a `keyhold backup` snapshot into the store and key file the store flags name (stop the server first)")
      .argument("<snapshot>", "the snapshot directory (the one holding manifest.json)"),
  )
    .option("--force", "replace a target store that holds records, and a target key file that is another key")
    .option("--json", "print the result as JSON")
    .action(async (snapshot: string, flags: StoreFlags & { force?: boolean; json?: boolean }) => {
      const location = resolveStoreLocation(flags, process.env);
      verboseLine(`store ${describeStore(location.databaseUrl, location.dataDir)}, key ${resolve(location.keyFile)}`);
      const result = await restoreSnapshot(snapshot, location, { force: flags.force === true });
      const mismatched = Object.keys(result.manifest.counts).filter((table) => result.manifest.counts[table] !== result.counts[table]);
      if (flags.json === true) printJson({ store: result.store, keyFile: result.keyFile, counts: result.counts, verified: mismatched.length === 0 });
      else process.stdout.write(`Restored ${resolve(snapshot)} (taken ${result.manifest.createdAt}) to ${result.store}, key ${result.keyFile}\n`);
      if (mismatched.length > 0) throw new Error(`The restored store's record counts differ from the backup's manifest in: ${mismatched.join(", ")}.`);
    });
}
