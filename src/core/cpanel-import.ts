import { assertNewUsername } from "./account.js";
import type { Actor } from "./actor.js";
import type { CpanelSnapshot } from "./cpanel-files.js";
import { KeyholdError } from "./errors.js";
import type { Keyhold } from "./keyhold.js";
import { DuplicateRecordError } from "./storage/errors.js";
import type { AccountRecord } from "./storage/records.js";

export interface ImportLine {
  readonly outcome: "created" | "imported" | "set" | "skipped" | "error";
  readonly subject: string;
  readonly detail: string;
}

export interface ImportOptions {
  readonly dryRun?: boolean;
  readonly onProgress?: (done: number, total: number) => void;
}

/**
 * Takes over a cPanel server's resellers, API tokens (by hash), access hashes and the access
 * hash setting. Safe to run again: what Keyhold already holds is reported and left alone.
 */
export async function importCpanelSnapshot(keyhold: Keyhold, actor: Actor, snapshot: CpanelSnapshot, options: ImportOptions = {}): Promise<ImportLine[]> {
  const dryRun = options.dryRun === true;
  const report: ImportLine[] = snapshot.problems.map((problem) => ({
    outcome: "error",
    subject: problem.line === null ? problem.file : `${problem.file}:${problem.line}`,
    detail: `${problem.message} (file skipped)`,
  }));
  const planned = new Set<string>();
  const total = snapshot.resellers.length + snapshot.tokens.reduce((sum, file) => sum + file.tokens.length, 0) + snapshot.whmAccessHashes.length;
  let done = 0;
  const step = (): void => options.onProgress?.(++done, total);

  for (const reseller of snapshot.resellers) {
    const subject = `account ${reseller.username}`;
    const existing = await keyhold.accounts.find(reseller.username);
    try {
      if (existing !== null) {
        report.push({ outcome: "skipped", subject, detail: `already exists (${existing.role}); left unchanged` });
      } else if (dryRun) {
        assertNewUsername(reseller.username);
        planned.add(reseller.username);
        report.push({ outcome: "created", subject, detail: "reseller (dry run)" });
      } else {
        const { dropped } = await keyhold.accounts.importReseller(actor, reseller.username, reseller.acls);
        const note = dropped.length === 0 ? "" : `; unknown privileges dropped: ${dropped.join(", ")}`;
        report.push({ outcome: "created", subject, detail: `reseller without a password${note}` });
      }
    } catch (error) {
      // One account Keyhold cannot hold (a reserved name, say) must not stop the rest.
      report.push({ outcome: "skipped", subject, detail: reasonToSkip(error) });
    }
    step();
  }

  async function ownerOf(username: string): Promise<AccountRecord | "planned" | null> {
    const account = await keyhold.accounts.find(username);
    if (account !== null) return account.role === "user" ? null : account;
    return planned.has(username) ? "planned" : null;
  }

  for (const file of snapshot.tokens) {
    const owner = await ownerOf(file.username);
    for (const token of file.tokens) {
      const subject = `token ${file.username}/${token.name}`;
      step();
      if (owner === null) {
        report.push({ outcome: "skipped", subject, detail: `“${file.username}” is neither root nor a reseller` });
        continue;
      }
      if (owner === "planned" || dryRun) {
        const existing = owner === "planned" ? null : await keyhold.tokens.findByDigest(owner, token.digest);
        report.push(existing === null ? { outcome: "imported", subject, detail: "dry run" } : { outcome: "skipped", subject, detail: `already imported as “${existing.name}”` });
        continue;
      }
      try {
        const result = await keyhold.tokens.importDigest(actor, owner, token, "imported");
        report.push(
          result.status === "imported"
            ? { outcome: "imported", subject, detail: token.expiresAt !== null && token.expiresAt <= keyhold.clock.now() ? "already expired" : "ok" }
            : { outcome: "skipped", subject, detail: `already imported as “${result.token.name}”` },
        );
      } catch (error) {
        report.push({ outcome: "skipped", subject, detail: reasonToSkip(error) });
      }
    }
  }

  for (const entry of snapshot.whmAccessHashes) {
    const subject = `access hash ${entry.username}`;
    step();
    const owner = await ownerOf(entry.username);
    if (owner === null) {
      report.push({ outcome: "skipped", subject, detail: `“${entry.username}” is neither root nor a reseller` });
      continue;
    }
    if (owner === "planned") {
      report.push({ outcome: "imported", subject, detail: "dry run" });
      continue;
    }
    let result: Awaited<ReturnType<typeof keyhold.accessHashes.importHash>>;
    try {
      result = await keyhold.accessHashes.importHash(actor, owner, entry.accesshash, { dryRun });
    } catch (error) {
      const detail = error instanceof DuplicateRecordError ? "another account already holds this same access hash; not imported" : reasonToSkip(error);
      report.push({ outcome: "skipped", subject, detail });
      continue;
    }
    if (result === "imported") report.push({ outcome: "imported", subject, detail: dryRun ? "dry run" : "ok" });
    else if (result === "same") report.push({ outcome: "skipped", subject, detail: "already imported" });
    else report.push({ outcome: "skipped", subject, detail: "Keyhold already holds a different access hash for this account; not replaced" });
  }

  if (snapshot.allowDeprecatedAccesshash !== null) {
    const wanted = snapshot.allowDeprecatedAccesshash ? 1 : 0;
    const subject = "setting allow_deprecated_accesshash";
    if (keyhold.settings.get().allow_deprecated_accesshash === wanted) {
      report.push({ outcome: "skipped", subject, detail: `already ${wanted}` });
    } else {
      if (!dryRun) await keyhold.settings.set(actor, "allow_deprecated_accesshash", String(wanted));
      report.push({ outcome: "set", subject, detail: `${wanted}${dryRun ? " (dry run)" : ""}` });
    }
  }
  return report;
}

/** Why one item was skipped; anything but a refusal of that item (the store failing) ends the import. */
function reasonToSkip(error: unknown): string {
  if (error instanceof KeyholdError) return error.message;
  throw error;
}

