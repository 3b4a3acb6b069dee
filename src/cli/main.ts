#!/usr/bin/env node
import { Command, CommanderError } from "commander";
import { KeyholdError } from "../core/errors.js";
import { KEYHOLD_VERSION } from "../version.js";
import { setVerbose } from "./context.js";
import { accesshashCommand } from "./commands/accesshash.js";
import { accountCommand } from "./commands/account.js";
import { auditCommand } from "./commands/audit.js";
import { backupCommand } from "./commands/backup.js";
import { bruteForceCommand } from "./commands/brute-force.js";
import { convertCommand } from "./commands/convert.js";
import { importCpanelCommand } from "./commands/import-cpanel.js";
import { migrateStoreCommand } from "./commands/migrate-store.js";
import { restoreCommand } from "./commands/restore.js";
import { serveCommand } from "./commands/serve.js";
import { settingsCommand } from "./commands/settings.js";

const EXIT_FAILURE = 1;
const EXIT_USAGE = 2;

function program(): Command {
  const root = new Command("keyhold")
    .description("Self-hosted API access keys: WHM access hashes and API tokens, IP-bound access hashes.")
    .version(KEYHOLD_VERSION)
    .option("--verbose", "name the store and key file each command opens, on stderr")
    .showHelpAfterError()
    .exitOverride()
    .hook("preAction", (_root, action) => {
      // A global option is consumed by the root wherever it stands, so a command with a
      // --verbose of its own (convert-accesshash-to-token) receives it from here.
      const on = action.optsWithGlobals().verbose === true;
      setVerbose(on);
      if (action.options.some((option) => option.long === "--verbose")) action.setOptionValue("verbose", on);
    });
  for (const command of [serveCommand(), accountCommand(), accesshashCommand(), settingsCommand(), bruteForceCommand(), auditCommand(), convertCommand(), importCpanelCommand(), migrateStoreCommand(), backupCommand(), restoreCommand()]) {
    root.addCommand(command);
  }
  // Subcommands report usage errors through the same override, so they exit 2 as well.
  for (const command of root.commands) {
    command.exitOverride();
    for (const sub of command.commands) sub.exitOverride();
  }
  return root;
}

async function main(argv: readonly string[]): Promise<number> {
  try {
    await program().parseAsync([...argv]);
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end through this path too, with exit code 0.
      return error.exitCode === 0 ? 0 : EXIT_USAGE;
    }
    const message = error instanceof KeyholdError || error instanceof Error ? error.message : String(error);
    process.stderr.write(`error: ${message}\n`);
    return EXIT_FAILURE;
  }
}

const code = await main(process.argv);
// A command may already have set a failing exit code (e.g. conversion errors); keep it.
if (code !== 0) process.exitCode = code;
