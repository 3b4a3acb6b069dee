import { createHash, randomUUID } from "node:crypto";
import pg from "pg";
import { LocalChangeFeed, type Change } from "../core/changes.js";
import { createPostgresPool, type PostgresConnection } from "./postgres-connection.js";

const RECONNECT_MIN_MS = 250;
const RECONNECT_MAX_MS = 5_000;
const PUBLISH_ATTEMPTS = 3;
const RESYNC_RETRY_MS = 1_000;

interface Notice {
  readonly origin: string;
  readonly change: Change;
  /** When the notice was sent (ms since the epoch), for the change-feed lag; absent from older instances. */
  readonly at?: number;
}

/**
 * The change feed of instances sharing one PostgreSQL database: LISTEN/NOTIFY, so a revocation
 * on one instance drops the caches of every other within milliseconds, with no polling. When the
 * listening connection drops, changes may be missed, so every cache is dropped (`resync`) and
 * dropped again once it is back.
 */
export class PostgresChangeFeed extends LocalChangeFeed {
  private readonly origin = randomUUID();
  private readonly channel: string;
  private listener: pg.Client | null = null;
  private reconnectDelay = RECONNECT_MIN_MS;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private resyncTimer: NodeJS.Timeout | null = null;
  /** A change went unannounced: the other instances must be told to resync. */
  private owesResync = false;
  private closed = false;

  private constructor(
    private readonly connection: PostgresConnection,
    private readonly pool: pg.Pool,
    private readonly onError: (error: unknown) => void,
  ) {
    super();
    // One channel per schema: deployments sharing a database do not hear each other.
    this.channel = `keyhold_${createHash("sha256").update(connection.schema).digest("hex").slice(0, 24)}`;
  }

  static async start(connection: PostgresConnection, onError: (error: unknown) => void): Promise<PostgresChangeFeed> {
    const feed = new PostgresChangeFeed(connection, createPostgresPool(connection, "keyhold-notifier", 2), onError);
    try {
      await feed.listen();
    } catch (error) {
      await feed.close();
      throw error;
    }
    return feed;
  }

  override async publish(change: Change): Promise<void> {
    this.deliver(change);
    if (await this.notify(change)) return;
    // The change is committed but the others never heard of it: until they are told to drop
    // everything, they may keep serving what it changed (a revoked token, say).
    this.owesResync = true;
    this.scheduleResyncNotice();
  }

  /** Sends a notice to the other instances, with a few quick retries; false if it never went out. */
  private async notify(change: Change): Promise<boolean> {
    const payload = JSON.stringify({ origin: this.origin, change, at: Date.now() } satisfies Notice);
    for (let attempt = 1; ; attempt++) {
      try {
        await this.pool.query("SELECT pg_notify($1, $2)", [this.channel, payload]);
        return true;
      } catch (error) {
        if (attempt >= PUBLISH_ATTEMPTS) {
          this.metrics.storeError();
          this.onError(error);
          return false;
        }
      }
    }
  }

  private scheduleResyncNotice(): void {
    if (this.closed || this.resyncTimer !== null) return;
    this.resyncTimer = setTimeout(() => {
      this.resyncTimer = null;
      void this.notify({ kind: "resync" }).then((sent) => {
        if (sent) this.owesResync = false;
        else this.scheduleResyncNotice();
      });
    }, RESYNC_RETRY_MS);
    this.resyncTimer.unref();
  }

  private async listen(): Promise<void> {
    const client = new pg.Client({ connectionString: this.connection.url, application_name: "keyhold-listener" });
    client.on("notification", (message) => {
      if (message.channel !== this.channel || message.payload === undefined) return;
      try {
        const notice = JSON.parse(message.payload) as Notice;
        if (notice.origin === this.origin) return;
        if (typeof notice.at === "number") this.metrics.changeFeedLag(Math.max(0, Date.now() - notice.at));
        this.deliver(notice.change);
      } catch (error) {
        this.onError(error);
      }
    });
    const lost = (): void => this.connectionLost(client);
    client.on("error", lost);
    client.on("end", lost);
    await client.connect();
    await client.query(`LISTEN ${this.channel}`);
    this.listener = client;
    this.reconnectDelay = RECONNECT_MIN_MS;
  }

  private connectionLost(client: pg.Client): void {
    if (this.listener !== client || this.closed) return;
    this.listener = null;
    this.metrics.storeError();
    client.removeAllListeners("end");
    client.end().catch(() => {});
    this.deliver({ kind: "resync" });
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.closed || this.reconnectTimer !== null) return;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      this.listen().then(
        // What changed while we were away is unknown: start from the database again.
        () => this.deliver({ kind: "resync" }),
        () => {
          this.reconnectDelay = Math.min(this.reconnectDelay * 2, RECONNECT_MAX_MS);
          this.scheduleReconnect();
        },
      );
    }, this.reconnectDelay);
    this.reconnectTimer.unref();
  }

  /** True while changes from other instances can arrive. */
  override get live(): boolean {
    return this.listener !== null;
  }

  override async close(): Promise<void> {
    this.closed = true;
    if (this.reconnectTimer !== null) clearTimeout(this.reconnectTimer);
    if (this.resyncTimer !== null) clearTimeout(this.resyncTimer);
    // A last try, so the others do not keep what this instance changed.
    if (this.owesResync) await this.notify({ kind: "resync" });
    const listener = this.listener;
    this.listener = null;
    await listener?.end().catch(() => {});
    await this.pool.end().catch(() => {});
    await super.close();
  }
}
