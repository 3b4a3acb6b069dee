import pg from "pg";

const INT8_OID = 20;

export interface PostgresConnection {
  /** The URL without Keyhold's own `schema` parameter. */
  readonly url: string;
  /** Every table lives in this schema (created if missing), so deployments or test runs can share a database. */
  readonly schema: string;
}

/** `postgres://…?schema=name` → the URL pg understands and the schema Keyhold uses (default `public`). */
export function parsePostgresUrl(databaseUrl: string): PostgresConnection {
  const url = new URL(databaseUrl);
  const schema = url.searchParams.get("schema") ?? "public";
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new Error(`Invalid schema name “${schema}”: use lowercase letters, digits and _.`);
  url.searchParams.delete("schema");
  return { url: url.toString(), schema };
}

/** The URL as it may be shown (logs, --verbose, errors): with its password replaced. */
export function redactUrl(databaseUrl: string): string {
  try {
    const url = new URL(databaseUrl);
    if (url.password !== "") url.password = "***";
    return url.toString();
  } catch {
    return "(an unparsable database URL)";
  }
}

export function createPostgresPool(connection: PostgresConnection, applicationName: string, size = 10): pg.Pool {
  const pool = new pg.Pool({
    connectionString: connection.url,
    application_name: applicationName,
    options: `-c search_path=${connection.schema}`,
    max: size,
    connectionTimeoutMillis: 5_000,
    // Epoch milliseconds fit a double; without this BIGINT arrives as a string.
    types: {
      getTypeParser: ((oid: number, format?: "text" | "binary") =>
        oid === INT8_OID ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format ?? "text")) as typeof pg.types.getTypeParser,
    },
  });
  // An idle client losing its connection (a database restart) must not crash the process: the
  // pool replaces it, and the next query reports the outage to its caller.
  pool.on("error", () => {});
  return pool;
}

