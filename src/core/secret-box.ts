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

  constructor(masterKey: Buffer) {
    if (masterKey.length !== 32) throw new Error("The master key must be 32 bytes.");
    this.encryptionKey = derive(masterKey, "keyhold/encryption");
    this.digestKey = derive(masterKey, "keyhold/lookup-digest");
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
 * Reads the master key, or creates it with mode 0600 on first start. `wx` makes creation
 * atomic, so two processes starting at once cannot write two different keys.
 */
export function loadOrCreateKeyFile(path: string): KeyFile {
  if (!existsSync(path)) {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    try {
      const fd = openSync(path, "wx", 0o600);
      try {
        writeSync(fd, `${KEY_FILE_VERSION}\n${randomBytes(32).toString("base64")}\n`);
      } finally {
        closeSync(fd);
      }
      return { path, key: readKeyFile(path), created: true };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
  }
  return { path, key: readKeyFile(path), created: false };
}

function readKeyFile(path: string): Buffer {
  const mode = statSync(path).mode & 0o777;
  if ((mode & 0o077) !== 0) {
    throw new Error(`The key file ${path} is readable by other users (mode ${mode.toString(8)}); run: chmod 600 ${path}`);
  }
  const [header, body] = readFileSync(path, "utf8").split("\n");
  const key = Buffer.from(body ?? "", "base64");
  if (header !== KEY_FILE_VERSION || key.length !== 32) {
    throw new Error(`The key file ${path} is not a Keyhold key file.`);
  }
  return key;
}
