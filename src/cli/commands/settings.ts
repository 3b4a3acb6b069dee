import { Command } from "commander";
import { CLI_ACTOR } from "../../core/actor.js";
import { SETTINGS, displayValue, parseSettingValue, requireSettingKey } from "../../core/settings.js";
import type { StoreFlags } from "../../config.js";
import { withKeyhold, withStoreOptions } from "../context.js";
import { printJson, printRows } from "../output.js";

export function settingsCommand(): Command {
  const command = new Command("settings").description("read and change Tweak Settings and brute-force limits");

  withStoreOptions(command.command("get [key]"))
    .description("show one setting, or all of them")
    .option("--json", "print JSON")
    .action(async (key: string | undefined, flags: StoreFlags & { json?: boolean }) => {
      await withKeyhold(flags, async (keyhold) => {
        const current = keyhold.settings.get();
        if (key !== undefined) {
          const known = requireSettingKey(key);
          if (flags.json === true) printJson({ key: known, value: displayValue(current[known]) });
          else process.stdout.write(`${displayValue(current[known])}\n`);
          return;
        }
        const rows = SETTINGS.map((setting) => ({ key: setting.key, value: displayValue(current[setting.key]), default: setting.default, label: setting.label }));
        printRows(rows, ["key", "value", "default", "label"], flags.json === true);
      });
    });

  withStoreOptions(command.command("set <key> <value>"))
    .description("change a setting; a list (trusted_ips) is given whole, comma-separated, and \"\" empties it")
    .action(async (key: string, value: string, flags: StoreFlags) => {
      await withKeyhold(flags, async (keyhold) => {
        const { key: known } = parseSettingValue(key, value);
        const updated = await keyhold.settings.set(CLI_ACTOR, known, value);
        process.stdout.write(`${known} = ${displayValue(updated[known])}\n`);
      });
    });
  return command;
}

