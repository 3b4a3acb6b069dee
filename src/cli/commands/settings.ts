import { Command } from "commander";
import { CLI_ACTOR } from "../../core/actor.js";
import { SETTINGS, parseSettingValue, type SettingKey } from "../../core/settings.js";
import { withKeyhold, withStoreOptions, type StoreFlags } from "../context.js";
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
          const { key: known } = parseSettingValue(key, "0");
          if (flags.json === true) printJson({ key: known, value: current[known] });
          else process.stdout.write(`${current[known]}\n`);
          return;
        }
        const rows = SETTINGS.map((setting) => ({ key: setting.key, value: current[setting.key as SettingKey], default: setting.default, label: setting.label }));
        printRows(rows, ["key", "value", "default", "label"], flags.json === true);
      });
    });

  withStoreOptions(command.command("set <key> <value>"))
    .description("change a setting")
    .action(async (key: string, value: string, flags: StoreFlags) => {
      await withKeyhold(flags, async (keyhold) => {
        const updated = await keyhold.settings.set(CLI_ACTOR, key, value);
        process.stdout.write(`${key} = ${updated[key as SettingKey]}\n`);
      });
    });
  return command;
}
