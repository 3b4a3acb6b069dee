import { DEFAULT_RESELLER_ACLS, isKnownAcl, normalizeAclList } from "./acl.js";
import { ROOT_USERNAME, assertNewUsername, normalizeDomain, printable, type Account } from "./account.js";
import { actsAsAccount, requireAcl, requireRootLevel, type Actor } from "./actor.js";
import { auditRecord } from "./audit.js";
import type { ChangeFeed } from "./changes.js";
import type { Clock } from "./clock.js";
import { assertAcceptablePassword, type PasswordHasher } from "./credentials/password.js";
import { conflict, forbidden, invalidArgument } from "./errors.js";
import { newId } from "./ids.js";
import { accountNotFound, findAccount, isOwnAccount, listableAccounts, requireMayChooseOwner, requireMayManage, requireMayRemove, visibleAccount } from "./tenancy.js";
import { DuplicateRecordError } from "./storage/errors.js";
import type { AccountRecords, AuditAppender, SessionRecords, Transactional } from "./storage/record-store.js";
import type { AccountRecord } from "./storage/records.js";

/** What one account change writes: the account, the sessions a new password ends, the audit line. */
type AccountWrites = AccountRecords & Pick<SessionRecords, "deleteAccountSessions"> & AuditAppender;

export interface NewAccountInput {
  readonly username: string;
  readonly password: string | null;
  readonly domain: string | null;
  readonly reseller?: boolean;
  /** Root-level callers may create accounts for a reseller; others always own what they create. */
  readonly owner?: string;
}

/** Changes to one account made together (the REST API's PUT). */
export interface AccountEdit {
  readonly reseller?: boolean;
  readonly acls?: readonly string[];
  readonly suspended?: boolean;
  readonly password?: string;
}

/** Account management with WHM's rules of who may act on whom. */
export class AccountService {
  constructor(
    private readonly store: AccountRecords & Transactional<AccountWrites>,
    private readonly changes: ChangeFeed,
    private readonly clock: Clock,
    private readonly hasher: PasswordHasher,
  ) {}

  /**
   * Makes sure `root` exists. With a password, it also gives a password to a root that has none
   * (a store first opened by the CLI, before any `serve`). Returns true when it set the password
   * (or created root), so the caller knows whether to show a generated one.
   */
  async ensureRoot(password: string | null): Promise<boolean> {
    if (password !== null) assertAcceptablePassword(password);
    const existing = await this.store.getAccountByUsername(ROOT_USERNAME);
    const now = this.clock.now();
    const passwordHash = password === null ? null : await this.hasher.hash(password);
    if (existing !== null) {
      if (existing.passwordHash !== null || passwordHash === null) return false;
      await this.store.transaction(async (tx) => {
        await tx.updateAccount(existing.id, { passwordHash, updatedAt: now });
        await tx.appendAudit(auditRecord(now, { username: "keyhold", ip: "local" }, "account.password", ROOT_USERNAME));
      });
      await this.announce(existing);
      return true;
    }
    try {
      await this.store.transaction(async (tx) => {
        await tx.insertAccount({ id: newId("acct", now), username: ROOT_USERNAME, role: "root", owner: ROOT_USERNAME, domain: null, acls: ["all"], passwordHash, createdAt: now });
        await tx.appendAudit(auditRecord(now, { username: "keyhold", ip: "local" }, "account.create", ROOT_USERNAME, { detail: { role: "root" } }));
      });
    } catch (error) {
      // Another instance created root first.
      if (error instanceof DuplicateRecordError) return false;
      throw error;
    }
    return true;
  }

  /**
   * A reseller taken over from a cPanel server: no password (it logs in with its tokens, or after
   * `account passwd`) and no domain. Privileges Keyhold does not know are dropped and returned.
   */
  async importReseller(actor: Actor, username: string, acls: readonly string[]): Promise<{ account: Account; dropped: string[] }> {
    requireRootLevel(actor);
    assertNewUsername(username);
    const known = normalizeAclList(acls.filter(isKnownAcl));
    const dropped = acls.filter((acl) => !isKnownAcl(acl));
    const now = this.clock.now();
    await this.store.transaction(async (tx) => {
      await tx.insertAccount({ id: newId("acct", now), username, role: "reseller", owner: ROOT_USERNAME, domain: null, acls: known, passwordHash: null, createdAt: now }).catch((error: unknown) => {
        throw error instanceof DuplicateRecordError ? conflict(`An account with the username “${username}” already exists.`) : error;
      });
      await tx.appendAudit(auditRecord(now, actor, "account.import", username, { detail: { role: "reseller", acls: known.join(",") } }));
    });
    return { account: await this.require(username), dropped };
  }

  async create(actor: Actor, input: NewAccountInput): Promise<Account> {
    requireAcl(actor, "create-acct");
    if (input.reseller === true) requireRootLevel(actor);
    assertNewUsername(input.username);
    if (input.domain === null) throw invalidArgument("The parameter “domain” is required.");
    const domain = normalizeDomain(input.domain);
    if (input.password !== null) assertAcceptablePassword(input.password);
    const owner = await this.ownerFor(actor, input.owner);

    const now = this.clock.now();
    const passwordHash = input.password === null ? null : await this.hasher.hash(input.password);
    const role = input.reseller === true ? "reseller" : "user";
    const id = newId("acct", now);
    await this.store.transaction(async (tx) => {
      if ((await tx.getAccountByUsername(input.username)) !== null) {
        throw conflict(`An account with the username “${input.username}” already exists.`);
      }
      await tx
        .insertAccount({ id, username: input.username, role, owner, domain, acls: role === "reseller" ? DEFAULT_RESELLER_ACLS : [], passwordHash, createdAt: now })
        .catch((error: unknown) => {
          // The username is free (checked above), so the unique domain is what clashed.
          throw error instanceof DuplicateRecordError ? conflict(`The domain “${domain}” already belongs to another account.`) : error;
        });
      await tx.appendAudit(auditRecord(now, actor, "account.create", input.username, { detail: { role, owner, domain } }));
    });
    return this.require(input.username);
  }

  async remove(actor: Actor, username: string): Promise<void> {
    requireAcl(actor, "kill-acct");
    const target = await visibleAccount(this.store, actor, username);
    if (target.role === "root") throw forbidden("The root account cannot be removed.");
    if (isOwnAccount(actor, target)) throw forbidden("You cannot remove your own account.");
    requireMayRemove(actor, target);
    const now = this.clock.now();
    await this.store.transaction(async (tx) => {
      await tx.deleteAccount(target.id, ROOT_USERNAME);
      await tx.appendAudit(auditRecord(now, actor, "account.remove", target.username, { detail: { role: target.role } }));
    });
    await this.announce(target);
  }

  /** Root-level callers see every account; a reseller sees the accounts it owns. */
  async list(actor: Actor): Promise<Account[]> {
    requireAcl(actor, "list-accts");
    return (await listableAccounts(this.store, actor)).map(withoutSecrets);
  }

  async listResellers(actor: Actor): Promise<Account[]> {
    requireRootLevel(actor);
    return (await this.store.listAccounts({ role: "reseller" })).map(withoutSecrets);
  }

  async get(actor: Actor, username: string): Promise<Account> {
    const own = username === actor.username;
    if (!own) requireAcl(actor, "list-accts");
    const account = await visibleAccount(this.store, actor, username);
    if (!own) requireMayManage(actor, account);
    return withoutSecrets(account);
  }

  async setupReseller(actor: Actor, username: string, options: { makeOwner?: boolean } = {}): Promise<Account> {
    requireRootLevel(actor);
    const target = await this.require(username);
    if (target.role === "root") throw invalidArgument("The root account cannot be made a reseller.");
    await this.commit(target, (tx, now) => this.writeReseller(tx, actor, target, now, options.makeOwner === true));
    return this.require(username);
  }

  async unsetupReseller(actor: Actor, username: string): Promise<Account> {
    requireRootLevel(actor);
    const target = await this.require(username);
    if (target.role !== "reseller") throw invalidArgument(`“${target.username}” is not a reseller.`);
    await this.commit(target, (tx, now) => this.writeNotReseller(tx, actor, target, now));
    return this.require(username);
  }

  /** Replaces a reseller's privileges; `all` makes it root-level. */
  async setAcls(actor: Actor, username: string, acls: readonly string[]): Promise<Account> {
    requireRootLevel(actor);
    assertKnownAcls(acls);
    const target = await this.require(username);
    if (target.role !== "reseller") throw invalidArgument(`“${target.username}” is not a reseller.`);
    await this.commit(target, (tx, now) => this.writeAcls(tx, actor, target, acls, now));
    return this.require(username);
  }

  async setPassword(actor: Actor, username: string, password: string): Promise<void> {
    // Before the look-up: a missing privilege must not answer differently for accounts that exist.
    if (username !== actor.username) requireAcl(actor, "passwd");
    const target = await visibleAccount(this.store, actor, username);
    this.requireMaySetPassword(actor, target);
    assertAcceptablePassword(password);
    const passwordHash = await this.hasher.hash(password);
    await this.commit(target, (tx, now) => this.writePassword(tx, actor, target, passwordHash, now));
  }

  async setSuspended(actor: Actor, username: string, suspended: boolean): Promise<Account> {
    requireAcl(actor, "suspend-acct");
    const target = await visibleAccount(this.store, actor, username);
    this.requireMaySuspend(actor, target);
    await this.commit(target, (tx, now) => this.writeSuspended(tx, actor, target, suspended, now));
    return this.require(username);
  }

  /**
   * Several changes to one account (the REST API's PUT), checked whole first and then written
   * in one transaction: applied whole or refused whole, never half done.
   */
  async edit(actor: Actor, username: string, edit: AccountEdit): Promise<void> {
    await this.assertMayEdit(actor, username, edit);
    const target = await this.require(username);
    const passwordHash = edit.password === undefined ? undefined : await this.hasher.hash(edit.password);
    await this.commit(target, async (tx, now) => {
      if (edit.reseller === true) await this.writeReseller(tx, actor, target, now, false);
      if (edit.reseller === false) await this.writeNotReseller(tx, actor, target, now);
      if (edit.acls !== undefined) await this.writeAcls(tx, actor, target, edit.acls, now);
      if (edit.suspended !== undefined) await this.writeSuspended(tx, actor, target, edit.suspended, now);
      if (passwordHash !== undefined) await this.writePassword(tx, actor, target, passwordHash, now);
    });
  }

  /**
   * Throws what setupReseller/unsetupReseller, setAcls, setSuspended and setPassword would throw
   * for this edit, without writing anything.
   */
  private async assertMayEdit(actor: Actor, username: string, edit: AccountEdit): Promise<void> {
    if (edit.password !== undefined) assertAcceptablePassword(edit.password);
    assertKnownAcls(edit.acls ?? []);
    if (edit.reseller !== undefined || edit.acls !== undefined) requireRootLevel(actor);
    if (edit.suspended !== undefined) requireAcl(actor, "suspend-acct");
    if (edit.password !== undefined && username !== actor.username) requireAcl(actor, "passwd");
    const target = await visibleAccount(this.store, actor, username);
    if (edit.reseller === true && target.role === "root") throw invalidArgument("The root account cannot be made a reseller.");
    if (edit.reseller === false && target.role !== "reseller") throw invalidArgument(`“${target.username}” is not a reseller.`);
    if (edit.acls !== undefined && !(edit.reseller ?? target.role === "reseller")) throw invalidArgument(`“${target.username}” is not a reseller.`);
    if (edit.suspended !== undefined) this.requireMaySuspend(actor, target);
    if (edit.password !== undefined) this.requireMaySetPassword(actor, target);
  }

  /** The account by name, or null; no privilege check, for callers acting as root (an import). */
  async find(username: string): Promise<AccountRecord | null> {
    return findAccount(this.store, username);
  }

  /** The account, or a NOT_FOUND error naming it. */
  async require(username: string): Promise<AccountRecord> {
    const account = await findAccount(this.store, username);
    if (account === null) throw accountNotFound(username);
    return account;
  }

  /** Runs the writes in one transaction, then tells every cache. */
  private async commit(target: Account, writes: (tx: AccountWrites, now: number) => Promise<void>): Promise<void> {
    const now = this.clock.now();
    await this.store.transaction((tx) => writes(tx, now));
    await this.announce(target);
  }

  private async writeReseller(tx: AccountWrites, actor: Actor, target: Account, now: number, makeOwner: boolean): Promise<void> {
    await tx.updateAccount(target.id, {
      role: "reseller",
      acls: target.role === "reseller" ? target.acls : DEFAULT_RESELLER_ACLS,
      ...(makeOwner ? { owner: target.username } : {}),
      updatedAt: now,
    });
    await tx.appendAudit(auditRecord(now, actor, "reseller.setup", target.username, { detail: { makeOwner } }));
  }

  private async writeNotReseller(tx: AccountWrites, actor: Actor, target: Account, now: number): Promise<void> {
    for (const owned of await tx.listAccounts({ owner: target.username })) {
      if (owned.id !== target.id) await tx.updateAccount(owned.id, { owner: ROOT_USERNAME, updatedAt: now });
    }
    await tx.updateAccount(target.id, { role: "user", acls: [], owner: target.owner === target.username ? ROOT_USERNAME : target.owner, updatedAt: now });
    await tx.appendAudit(auditRecord(now, actor, "reseller.unsetup", target.username));
  }

  private async writeAcls(tx: AccountWrites, actor: Actor, target: Account, acls: readonly string[], now: number): Promise<void> {
    const normalized = normalizeAclList(acls);
    await tx.updateAccount(target.id, { acls: normalized, updatedAt: now });
    await tx.appendAudit(auditRecord(now, actor, "account.acls", target.username, { detail: { acls: normalized.join(",") } }));
  }

  private async writePassword(tx: AccountWrites, actor: Actor, target: Account, passwordHash: string, now: number): Promise<void> {
    await tx.updateAccount(target.id, { passwordHash, updatedAt: now });
    // Whoever knew the old password may hold a session; a new password ends them all.
    await tx.deleteAccountSessions(target.id);
    await tx.appendAudit(auditRecord(now, actor, "account.password", target.username));
  }

  private async writeSuspended(tx: AccountWrites, actor: Actor, target: Account, suspended: boolean, now: number): Promise<void> {
    await tx.updateAccount(target.id, { suspended, updatedAt: now });
    await tx.appendAudit(auditRecord(now, actor, suspended ? "account.suspend" : "account.unsuspend", target.username));
  }

  private requireMaySuspend(actor: Actor, target: Account): void {
    if (target.role === "root") throw forbidden("The root account cannot be suspended.");
    if (isOwnAccount(actor, target)) throw forbidden("You cannot suspend your own account.");
    requireMayManage(actor, target);
  }

  private requireMaySetPassword(actor: Actor, target: Account): void {
    if (isOwnAccount(actor, target)) {
      // A token setting its account's password would get around its own limits (reference §3.8).
      if (!actsAsAccount(actor)) requireAcl(actor, "passwd");
      return;
    }
    requireAcl(actor, "passwd");
    if (target.role === "root") throw forbidden("Only root can change root's password.");
    requireMayManage(actor, target);
  }

  private async ownerFor(actor: Actor, requested: string | undefined): Promise<string> {
    if (requested === undefined || requested === "" || requested === actor.username) return actor.username;
    requireMayChooseOwner(actor);
    const owner = await this.require(requested);
    if (owner.role === "user") throw invalidArgument(`The owner “${owner.username}” is not a reseller.`);
    return owner.username;
  }

  private async announce(account: Account): Promise<void> {
    await this.changes.publish({ kind: "account", accountId: account.id, username: account.username });
  }
}

function assertKnownAcls(acls: readonly string[]): void {
  const unknown = acls.filter((acl) => !isKnownAcl(acl));
  if (unknown.length > 0) throw invalidArgument(`Invalid ACL(s) specified: ${unknown.map(printable).join(", ")}`);
}

function withoutSecrets(account: AccountRecord): Account {
  const { passwordHash: _omitted, ...rest } = account;
  return rest;
}
