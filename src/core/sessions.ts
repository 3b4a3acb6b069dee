import type { Account } from "./account.js";
import { auditRecord } from "./audit.js";
import type { ChangeFeed } from "./changes.js";
import type { Clock } from "./clock.js";
import { SESSION_TTL_MS, generateSecurityToken, generateSessionSecret, sessionDigest } from "./credentials/session.js";
import { newId } from "./ids.js";
import type { AuditAppender, SessionRecords, Transactional } from "./storage/record-store.js";

export interface NewSession {
  /** Goes to the client's cookie only; the store keeps its SHA-256. */
  readonly secret: string;
  /** `cpsess` and 10 digits: the path prefix WHM clients send back with the cookie. */
  readonly securityToken: string;
  readonly expiresAt: number;
}

/** Browser and cPanel::PublicAPI sessions, created after a password login. */
export class SessionService {
  constructor(
    private readonly store: SessionRecords & Transactional<SessionRecords & AuditAppender>,
    private readonly changes: ChangeFeed,
    private readonly clock: Clock,
  ) {}

  async create(account: Account, ip: string): Promise<NewSession> {
    const now = this.clock.now();
    const secret = generateSessionSecret();
    const session = {
      id: newId("sess", now),
      digest: sessionDigest(secret),
      accountId: account.id,
      securityToken: generateSecurityToken(),
      createdAt: now,
      expiresAt: now + SESSION_TTL_MS,
      ip,
    };
    await this.store.transaction(async (tx) => {
      await tx.insertSession(session);
      await tx.appendAudit(auditRecord(now, { username: account.username, ip }, "session.create", account.username));
    });
    return { secret, securityToken: session.securityToken, expiresAt: session.expiresAt };
  }

  async destroy(secret: string): Promise<void> {
    const digest = sessionDigest(secret);
    const session = await this.store.findSessionByDigest(digest);
    if (session === null) return;
    await this.store.deleteSession(session.id);
    await this.changes.publish({ kind: "session", digest });
  }

  async pruneExpired(): Promise<number> {
    return this.store.deleteExpiredSessions(this.clock.now());
  }
}
