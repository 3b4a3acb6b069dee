import { Command } from "commander";
import { closeSync, fsyncSync, openSync, renameSync, writeSync, chmodSync } from "node:fs";
import { CLI_ACTOR } from "../../core/actor.js";
import type { WhmAccessHashView } from "../../core/whm-access-hashes.js";
import { formatAccessHashFile } from "../../core/credentials/whm-access-hash.js";
import type { StoreFlags } from "../../config.js";
import { withKeyhold, withStoreOptions } from "../context.js";
import { isoTime, printJson } from "../output.js";

interface AccessHashFlags extends StoreFlags {
  writeFile?: string;
  json?: boolean;
}

/** Writes `~/.accesshash`'s format with mode 0600, replacing any old file atomically. */
function writeAccessHashFile(path: string, accesshash: string): void {
  const temporary = `${path}.${process.pid}.tmp`;
  const fd = openSync(temporary, "wx", 0o600);
  try {
    writeSync(fd, formatAccessHashFile(accesshash));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  chmodSync(temporary, 0o600);
  renameSync(temporary, path);
}

function report(view: WhmAccessHashView, flags: AccessHashFlags): void {
  if (flags.writeFile !== undefined) writeAccessHashFile(flags.writeFile, view.accesshash);
  if (flags.json === true) {
    printJson({
      user: view.user,
      accesshash: view.accesshash,
      signature: view.signature,
      created: isoTime(view.createdAt),
      last_used: isoTime(view.lastUsedAt),
      last_used_ip: view.lastUsedIp,
      ...(flags.writeFile === undefined ? {} : { file: flags.writeFile }),
    });
    return;
  }
  if (flags.writeFile !== undefined) {
    process.stdout.write(`Wrote the access hash of “${view.user}” to ${flags.writeFile} (mode 0600).\n`);
  } else {
    process.stdout.write(formatAccessHashFile(view.accesshash));
  }
  process.stdout.write(`Access Key Signature: ${view.signature}\n`);
}

export function accesshashCommand(): Command {
  const command = new Command("accesshash").description("show or generate a WHM access hash (Remote Access Key)");

  for (const [name, description] of [
    ["show", "show an account's access hash and its Access Key Signature"],
    ["generate", "generate a new access hash; the old one stops working at once"],
  ] as const) {
    withStoreOptions(command.command(`${name} <user>`))
      .description(description)
      .option("--write-file <path>", "write it in ~/.accesshash format (30 lines, mode 0600)")
      .option("--json", "print JSON")
      .action(async (user: string, flags: AccessHashFlags) => {
        await withKeyhold(flags, async (keyhold) => {
          const view = name === "show" ? await keyhold.accessHashes.read(CLI_ACTOR, user) : await keyhold.accessHashes.generate(CLI_ACTOR, user);
          report(view, flags);
        });
      });
  }
  return command;
}
