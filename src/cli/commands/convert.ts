import { Command } from "commander";
import { SingleBar, Presets } from "cli-progress";
import { CLI_ACTOR } from "../../core/actor.js";
import { ROOT_USERNAME } from "../../core/account.js";
import { KeyholdError } from "../../core/errors.js";
import type { Keyhold } from "../../core/keyhold.js";
import type { StoreFlags } from "../../config.js";
import { withKeyhold, withStoreOptions } from "../context.js";

interface ConvertFlags extends StoreFlags {
  verbose?: boolean;
  allResellers?: boolean;
}

// A progress bar helps only when there are many accounts and someone is watching.
const PROGRESS_THRESHOLD = 20;

type ConvertOutcome = { kind: "converted"; name: string } | { kind: "already"; name: string } | { kind: "skipped" } | { kind: "error"; message: string };

async function convertOne(keyhold: Keyhold, username: string): Promise<ConvertOutcome> {
  try {
    const view = await keyhold.accessHashes.read(CLI_ACTOR, username);
    const owner = await keyhold.accounts.require(username);
    const result = await keyhold.tokens.convertAccessHash(CLI_ACTOR, owner, view.accesshash);
    return result.status === "imported" ? { kind: "converted", name: result.token.name } : { kind: "already", name: result.token.name };
  } catch (error) {
    if (error instanceof KeyholdError && error.message.startsWith("No accesshash exists for")) return { kind: "skipped" };
    return { kind: "error", message: error instanceof Error ? error.message : String(error) };
  }
}

/** `convert_accesshash_to_token` (reference §4), safe to run twice and honest in its exit status. */
export function convertCommand(): Command {
  return withStoreOptions(new Command("convert-accesshash-to-token"))
    .description("turn access hashes into full-access API tokens whose plaintext is the old hash; callers keep working")
    .argument("[user...]", "users to convert (default: root)")
    .option("--verbose", "report each converted user")
    .option("--all-resellers", "convert every reseller (replaces any users given)")
    .action(async (users: string[], flags: ConvertFlags) => {
      const failed = await withKeyhold(flags, async (keyhold) => {
        const targets =
          flags.allResellers === true
            ? (await keyhold.accounts.listResellers(CLI_ACTOR)).map((account) => account.username).sort()
            : users.length > 0
              ? users
              : [ROOT_USERNAME];
        const bar = targets.length >= PROGRESS_THRESHOLD && process.stderr.isTTY ? new SingleBar({ stream: process.stderr }, Presets.shades_classic) : null;
        bar?.start(targets.length, 0);
        let errors = 0;
        for (const username of targets) {
          const outcome = await convertOne(keyhold, username);
          bar?.increment();
          if (outcome.kind === "error") {
            errors++;
            process.stderr.write(`error: ${username}: ${outcome.message}\n`);
          } else if (outcome.kind === "converted" && flags.verbose === true) {
            process.stdout.write(`Imported accesshash for “${username}” as “${outcome.name}”\n`);
          } else if (outcome.kind === "already") {
            process.stdout.write(`The accesshash for “${username}” is already converted, as “${outcome.name}”; left unchanged.\n`);
          }
        }
        bar?.stop();
        return errors;
      });
      if (failed > 0) process.exitCode = 1;
    });
}
