#!/usr/bin/env node
import { Command, CommanderError } from "commander";
import { KeyholdError } from "../core/errors.js";
import { KEYHOLD_VERSION } from "../version.js";
import { accesshashCommand } from "./commands/accesshash.js";
import { accountCommand } from "./commands/account.js";
import { auditCommand } from "./commands/audit.js";
import { convertCommand } from "./commands/convert.js";
import { importCpanelCommand } from "./commands/import-cpanel.js";
import { migrateStoreCommand } from "./commands/migrate-store.js";
import { serveCommand } from "./commands/serve.js";
import { settingsCommand } from "./commands/settings.js";

const EXIT_FAILURE = 1;
const EXIT_USAGE = 2;

function program(): Command {
  const root = new Command("keyhold")
    .description("Self-hosted API access keys: WHM access hashes and API tokens, IP-bound access hashes.")
    .version(KEYHOLD_VERSION)
    .showHelpAfterError()
    .exitOverride();
  for (const command of [serveCommand(), accountCommand(), accesshashCommand(), settingsCommand(), auditCommand(), convertCommand(), importCpanelCommand(), migrateStoreCommand()]) {
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
