import { Command } from "commander";
import type { Account } from "../../core/account.js";
import { CLI_ACTOR } from "../../core/actor.js";
import type { StoreFlags } from "../../config.js";
import { withKeyhold, withStoreOptions } from "../context.js";
import { isoTime, printJson, printRows, readStdin } from "../output.js";

interface AddFlags extends StoreFlags {
  domain?: string;
  password?: string;
  passwordStdin?: boolean;
  reseller?: boolean;
  owner?: string;
  json?: boolean;
}

function accountRow(account: Account): Record<string, unknown> {
  return {
    username: account.username,
    role: account.role,
    owner: account.owner,
    domain: account.domain,
    suspended: account.suspended,
    acls: account.role === "reseller" ? account.acls : [],
    created: isoTime(account.createdAt),
  };
}

async function passwordFrom(flags: { password?: string; passwordStdin?: boolean }): Promise<string | null> {
  if (flags.passwordStdin === true) return readStdin();
  return flags.password ?? null;
}

export function accountCommand(): Command {
  const account = new Command("account").description("manage accounts: root, resellers and their users");

  withStoreOptions(account.command("add <username>"))
    .description("create an account (a reseller with --reseller)")
    .requiredOption("--domain <domain>", "the account's primary domain")
    .option("--password <password>", "its password (visible to other local users: prefer --password-stdin)")
    .option("--password-stdin", "read the password from standard input")
    .option("--reseller", "make it a reseller with WHM's initial privileges")
    .option("--owner <reseller>", "the reseller that owns it (default: root)")
    .option("--json", "print JSON")
    .action(async (username: string, flags: AddFlags) => {
      await withKeyhold(flags, async (keyhold) => {
        const created = await keyhold.accounts.create(CLI_ACTOR, {
          username,
          password: await passwordFrom(flags),
          domain: flags.domain ?? null,
          reseller: flags.reseller === true,
          ...(flags.owner === undefined ? {} : { owner: flags.owner }),
        });
        if (flags.json === true) printJson(accountRow(created));
        else process.stdout.write(`Created ${created.role} “${created.username}” (${created.domain ?? "no domain"}).\n`);
      });
    });

  withStoreOptions(account.command("list"))
    .description("list accounts")
    .option("--json", "print JSON")
    .action(async (flags: StoreFlags & { json?: boolean }) => {
      await withKeyhold(flags, async (keyhold) => {
        const rows = (await keyhold.accounts.list(CLI_ACTOR)).map(accountRow);
        printRows(rows, ["username", "role", "owner", "domain", "suspended", "created"], flags.json === true);
      });
    });

  withStoreOptions(account.command("remove <username>"))
    .description("remove an account with its tokens, access hash and sessions")
    .action(async (username: string, flags: StoreFlags) => {
      await withKeyhold(flags, async (keyhold) => {
        await keyhold.accounts.remove(CLI_ACTOR, username);
        process.stdout.write(`${username} account removed\n`);
      });
    });

  withStoreOptions(account.command("passwd <username>"))
    .description("set an account's password (read from standard input unless --password is given)")
    .option("--password <password>", "the new password (visible to other local users)")
    .action(async (username: string, flags: StoreFlags & { password?: string }) => {
      const password = flags.password ?? (await readStdin());
      await withKeyhold(flags, async (keyhold) => {
        await keyhold.accounts.setPassword(CLI_ACTOR, username, password);
        process.stdout.write(`Password for ${username} changed.\n`);
      });
    });

  withStoreOptions(account.command("acl <username> [acls...]"))
    .description("show a reseller's privileges, or replace them with the ones given (`all` = root level)")
    .option("--json", "print JSON")
    .action(async (username: string, acls: string[], flags: StoreFlags & { json?: boolean }) => {
      await withKeyhold(flags, async (keyhold) => {
        const target = acls.length === 0 ? await keyhold.accounts.get(CLI_ACTOR, username) : await keyhold.accounts.setAcls(CLI_ACTOR, username, acls.flatMap((acl) => acl.split(",")));
        if (flags.json === true) printJson({ username: target.username, role: target.role, acls: target.acls });
        else process.stdout.write(`${target.username}: ${target.acls.length === 0 ? "(no privileges)" : target.acls.join(" ")}\n`);
      });
    });

  return account;
}
