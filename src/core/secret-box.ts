import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from "node:crypto";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, statSync, writeSync } from "node:fs";
import { dirname } from "node:path";

const KEY_FILE_VERSION = "keyhold-key-v1";
const CIPHERTEXT_VERSION = "v1";
const IV_LENGTH = 12;
const TAG_LENGTH = 16;

/**
 * Encryption at rest for secrets Keyhold must be able to show again (the WHM access hash), and
 * a keyed digest to find them without decrypting every row. The master key lives in a file
 * outside the database: a stolen database alone reveals no secret, and neither does the key.
 */
export class SecretBox {
  private readonly encryptionKey: Buffer;
  private readonly digestKey: Buffer;
  /** Keys the audit hash chain (audit-chain.ts); never used for anything else. */
  readonly auditChainKey: Buffer;

  constructor(masterKey: Buffer) {
    if (masterKey.length !== 32) throw new Error("The master key must be 32 bytes.");
    this.encryptionKey = derive(masterKey, "keyhold/encryption");
    this.digestKey = derive(masterKey, "keyhold/lookup-digest");
    this.auditChainKey = derive(masterKey, "keyhold/audit-chain");
  }

  /** AES-256-GCM; `context` (e.g. the owning account id) is bound as associated data, so a
   *  ciphertext copied onto another row no longer decrypts. */
  seal(plaintext: string, context: string): string {
    const iv = randomBytes(IV_LENGTH);
    const cipher = createCipheriv("aes-256-gcm", this.encryptionKey, iv);
    cipher.setAAD(Buffer.from(context, "utf8"));
    const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
    return `${CIPHERTEXT_VERSION}:${Buffer.concat([iv, cipher.getAuthTag(), body]).toString("base64")}`;
  }

  /** Returns null when the ciphertext was made with another key or altered. */
  open(sealed: string, context: string): string | null {
    const [version, payload] = sealed.split(":", 2);
    if (version !== CIPHERTEXT_VERSION || payload === undefined) return null;
    const raw = Buffer.from(payload, "base64");
    if (raw.length < IV_LENGTH + TAG_LENGTH) return null;
    try {
      const decipher = createDecipheriv("aes-256-gcm", this.encryptionKey, raw.subarray(0, IV_LENGTH));
      decipher.setAAD(Buffer.from(context, "utf8"));
      decipher.setAuthTag(raw.subarray(IV_LENGTH, IV_LENGTH + TAG_LENGTH));
      return Buffer.concat([decipher.update(raw.subarray(IV_LENGTH + TAG_LENGTH)), decipher.final()]).toString("utf8");
    } catch {
      return null;
    }
  }

  /** HMAC-SHA-256, hex: a lookup key that cannot be reversed or recomputed without the key file. */
  digest(secret: string): string {
    return createHmac("sha256", this.digestKey).update(secret, "utf8").digest("hex");
  }
}

function derive(masterKey: Buffer, info: string): Buffer {
  return Buffer.from(hkdfSync("sha256", masterKey, Buffer.alloc(0), info, 32));
}

export interface KeyFile {
  readonly path: string;
  readonly key: Buffer;
  readonly created: boolean;
}

/**
 * What the store records to recognise its key: a keyed digest of a fixed label, so it reveals
 * nothing about the key, yet a different key (a typo in --key-file, a file restored from the
 * wrong machine) gives a different value.
 */
export function keyFingerprint(masterKey: Buffer): string {
  return createHmac("sha256", masterKey).update("keyhold key fingerprint v1", "utf8").digest("hex");
}

/**
 * Reads the master key, or creates it with mode 0600 on first start. Only callers that know
 * the store holds nothing sealed may use it (see store/key-binding.ts): a new key for a store
 * with sealed secrets makes every access hash unreadable.
 */
export function loadOrCreateKeyFile(path: string): KeyFile {
  if (!existsSync(path) && createKeyFile(path)) return { path, key: readKeyFile(path), created: true };
  return { path, key: readKeyFile(path), created: false };
}

/**
 * Writes a new key; false when the file appeared meanwhile. `wx` makes creation atomic, so two
 * processes starting at once cannot write two different keys.
 */
export function createKeyFile(path: string): boolean {
  try {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    const fd = openSync(path, "wx", 0o600);
    try {
      writeSync(fd, `${KEY_FILE_VERSION}\n${randomBytes(32).toString("base64")}\n`);
    } finally {
      closeSync(fd);
    }
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw keyFileError(path, error);
  }
}

/** Every failure names the file: at start-up it is the one thing the operator must act on. */
export function readKeyFile(path: string): Buffer {
  let text: string;
  try {
    const stat = statSync(path);
    if (stat.isDirectory()) throw Object.assign(new Error("it is a directory"), { code: "EISDIR" });
    const mode = stat.mode & 0o777;
    if ((mode & 0o077) !== 0) {
      throw new KeyFileError(`The key file ${path} is readable by other users (mode ${mode.toString(8)}); run: chmod 600 ${path}`);
    }
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw keyFileError(path, error);
  }
  const [header, body] = text.split("\n");
  const key = Buffer.from(body ?? "", "base64");
  if (header !== KEY_FILE_VERSION || key.length !== 32) {
    throw new KeyFileError(`The key file ${path} is not a Keyhold key file (malformed: it must hold "${KEY_FILE_VERSION}" and 32 bytes in base64).`);
  }
  return key;
}

export class KeyFileError extends Error {
  override readonly name = "KeyFileError";
}

function keyFileError(path: string, error: unknown): Error {
  if (error instanceof KeyFileError) return error;
  const code = (error as NodeJS.ErrnoException).code;
  const reason =
    code === "EISDIR" ? "it is a directory, not a file"
    : code === "EACCES" || code === "EPERM" ? "permission denied (run Keyhold as the user that owns it)"
    : code === "ENOENT" ? "it does not exist"
    : code === "ENOTDIR" ? "a part of its path is not a directory"
    : (error as Error).message;
  return new KeyFileError(`Cannot use the key file ${path}: ${reason}.`, { cause: error });
}
