import { createSocket, type Socket as UdpSocket } from "node:dgram";
import { appendFile } from "node:fs/promises";
import { connect as netConnect, type Socket } from "node:net";
import { hostname as osHostname } from "node:os";
import { connect as tlsConnect } from "node:tls";
import type { AuditRecord } from "./storage/records.js";

/** An entry as it leaves the host: the record with its place in the chain. */
export type ForwardedAuditEntry = AuditRecord & { readonly seq: number; readonly hash: string | null };

/**
 * Sends each audit entry somewhere off the store, after its transaction committed. `send` never
 * blocks and never throws: a failure goes to `onError` (the log), and the request that wrote the
 * entry has long been answered.
 */
export interface AuditForwarder {
  send(entry: ForwardedAuditEntry): void;
  /** Waits for what is queued (bounded), then lets go of the file or socket. */
  close(): Promise<void>;
}

/** The JSON object of one entry, as both forwarders write it. Entries hold no secret (audit.ts). */
export function auditEntryJson(entry: ForwardedAuditEntry): string {
  return JSON.stringify({
    seq: entry.seq,
    id: entry.id,
    time: new Date(entry.at).toISOString(),
    actor: entry.actor,
    ip: entry.ip,
    action: entry.action,
    target: entry.target,
    outcome: entry.outcome,
    detail: entry.detail,
    hash: entry.hash,
  });
}

/** `--audit-jsonl <file>`: one JSON line per entry, appended in order; the file is created 0600. */
export class JsonlAuditForwarder implements AuditForwarder {
  private tail: Promise<void> = Promise.resolve();

  constructor(
    private readonly path: string,
    private readonly onError: (error: unknown) => void,
  ) {}

  send(entry: ForwardedAuditEntry): void {
    const line = `${auditEntryJson(entry)}\n`;
    this.tail = this.tail.then(() => appendFile(this.path, line, { mode: 0o600 })).catch((error: unknown) => this.onError(new Error(`audit forwarding to ${this.path} failed: ${(error as Error).message}`, { cause: error })));
  }

  async close(): Promise<void> {
    await this.tail;
  }
}

// RFC 5424: facility authpriv (10); notice for a success, warning for a failure.
const FACILITY_AUTHPRIV = 10;
const SEVERITY_NOTICE = 5;
const SEVERITY_WARNING = 4;
/** The private enterprise number RFC 5612 reserves for examples: Keyhold registers none. */
const SD_ID = "keyhold@32473";
const MAX_QUEUED = 10_000;
const RECONNECT_MS = 1000;

function sdValue(text: string): string {
  return text.replace(/[\\"\]]/g, (c) => `\\${c}`);
}

/** PRINTUSASCII without space, at most `max` characters, "-" when empty (RFC 5424 header fields). */
function headerField(text: string, max: number): string {
  const clean = text.replace(/[^\x21-\x7e]/g, "_").slice(0, max);
  return clean === "" ? "-" : clean;
}

/** One RFC 5424 message for an entry (without transport framing). */
export function syslogMessage(entry: ForwardedAuditEntry, host: string = osHostname(), procId: string = String(process.pid)): string {
  const pri = FACILITY_AUTHPRIV * 8 + (entry.outcome === "failure" ? SEVERITY_WARNING : SEVERITY_NOTICE);
  const sd = `[${SD_ID} seq="${entry.seq}" id="${sdValue(entry.id)}" actor="${sdValue(entry.actor)}" ip="${sdValue(entry.ip)}" target="${sdValue(entry.target)}" outcome="${entry.outcome}"]`;
  return `<${pri}>1 ${new Date(entry.at).toISOString()} ${headerField(host, 255)} keyhold ${headerField(procId, 128)} ${headerField(entry.action, 32)} ${sd} ${auditEntryJson(entry)}`;
}

export interface SyslogTarget {
  readonly protocol: "udp" | "tcp" | "tls";
  readonly host: string;
  readonly port: number;
}

/** `udp://host:514`, `tcp://host:514`, `tls://host:6514`; the port defaults to 514 (6514 for TLS). */
export function parseSyslogUrl(text: string): SyslogTarget {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error(`Invalid syslog address "${text}": use udp://host:514, tcp://host:514 or tls://host:6514.`);
  }
  const protocol = url.protocol.replace(/:$/, "");
  if (protocol !== "udp" && protocol !== "tcp" && protocol !== "tls") throw new Error(`Invalid syslog address "${text}": use udp://, tcp:// or tls://.`);
  if (url.hostname === "") throw new Error(`Invalid syslog address "${text}": name a host.`);
  const port = url.port === "" ? (protocol === "tls" ? 6514 : 514) : Number(url.port);
  return { protocol, host: url.hostname.replace(/^\[|\]$/g, ""), port };
}

/**
 * `--audit-syslog`: RFC 5424 messages over UDP (one datagram each, RFC 5426) or over TCP/TLS with
 * octet-counting framing (RFC 6587 / RFC 5425), on one connection that is reopened after a failure.
 */
export class SyslogAuditForwarder implements AuditForwarder {
  private udp: UdpSocket | null = null;
  private stream: Socket | null = null;
  private connected = false;
  private readonly queue: string[] = [];
  private closed = false;
  private retry: NodeJS.Timeout | null = null;

  constructor(
    private readonly target: SyslogTarget,
    private readonly onError: (error: unknown) => void,
  ) {}

  send(entry: ForwardedAuditEntry): void {
    if (this.closed) return;
    const message = syslogMessage(entry);
    if (this.target.protocol === "udp") {
      this.udp ??= this.openUdp();
      this.udp.send(message, this.target.port, this.target.host, (error) => {
        if (error) this.fail(error);
      });
      return;
    }
    if (this.queue.length >= MAX_QUEUED) {
      this.fail(new Error(`${MAX_QUEUED} messages queued; dropping audit entry seq ${entry.seq}`));
      return;
    }
    this.queue.push(`${Buffer.byteLength(message, "utf8")} ${message}`);
    if (this.stream === null && this.retry === null) this.openStream();
    else this.flush();
  }

  private openUdp(): UdpSocket {
    const socket = createSocket(this.target.host.includes(":") ? "udp6" : "udp4");
    socket.on("error", (error) => this.fail(error));
    socket.unref();
    return socket;
  }

  private openStream(): void {
    const { host, port } = this.target;
    const socket = this.target.protocol === "tls" ? tlsConnect({ host, port, servername: host }) : netConnect({ host, port });
    this.stream = socket;
    socket.setKeepAlive(true);
    socket.once(this.target.protocol === "tls" ? "secureConnect" : "connect", () => {
      this.connected = true;
      this.flush();
    });
    socket.on("error", (error) => this.fail(error));
    socket.on("close", () => {
      this.stream = null;
      this.connected = false;
      if (!this.closed && this.queue.length > 0) {
        this.retry = setTimeout(() => {
          this.retry = null;
          this.openStream();
        }, RECONNECT_MS);
        this.retry.unref();
      }
    });
  }

  private flush(): void {
    if (!this.connected || this.stream === null) return;
    while (this.queue.length > 0) this.stream.write(this.queue.shift()!);
  }

  private fail(error: unknown): void {
    const { protocol, host, port } = this.target;
    this.onError(new Error(`audit forwarding to syslog ${protocol}://${host}:${port} failed: ${(error as Error).message}`, { cause: error }));
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.retry !== null) clearTimeout(this.retry);
    if (this.udp !== null) await new Promise<void>((resolve) => this.udp!.close(() => resolve()));
    const stream = this.stream;
    if (stream !== null) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          stream.destroy();
          resolve();
        }, 2000);
        stream.end(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }
}
