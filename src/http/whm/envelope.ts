/** WHM API 1's response envelope. */
export interface WhmEnvelope {
  data: unknown;
  metadata: { command: string | null; reason: string; result: 0 | 1; version: 1 };
  [topLevel: string]: unknown;
}

export function whmSuccess(command: string, data: unknown, reason = "OK", topLevel: Readonly<Record<string, unknown>> = {}): WhmEnvelope {
  return { ...topLevel, data, metadata: { command, reason, result: 1, version: 1 } };
}

export function whmFailure(command: string | null, reason: string, data: unknown = null): WhmEnvelope {
  return { data, metadata: { command, reason, result: 0, version: 1 } };
}

/** Matches cPanel::PublicAPI's `/Unknown app\s+(?:\(.+\))?\s+requested/`. */
export function unknownApp(command: string): string {
  return `Unknown app (${command}) requested for this version (1) of the API.`;
}
