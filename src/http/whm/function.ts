import type { Actor } from "../../core/actor.js";
import type { Keyhold } from "../../core/keyhold.js";
import type { Identity } from "../../core/credentials/outcome.js";
import type { WhmParams } from "./params.js";

export interface WhmCall {
  readonly params: WhmParams;
  readonly identity: Identity;
  readonly actor: Actor;
  readonly keyhold: Keyhold;
}

export interface WhmReply {
  readonly data: unknown;
  /** `metadata.reason` on success; "OK" when not given. */
  readonly reason?: string;
  /** Keys some legacy functions answer at the top level (loadavg's `one`, `five`, `fifteen`). */
  readonly topLevel?: Readonly<Record<string, unknown>>;
}

/** One WHM API 1 function: a thin adapter from parameters to a domain service. */
export interface WhmFunction {
  readonly name: string;
  /** Returns a secret: refused over plain HTTP from outside loopback (WHM demands SSL). */
  readonly returnsSecret?: true;
  /** WHM words some failures as "The system failed to … : <detail>". */
  readonly failurePrefix?: string;
  /** `data` on failure; null unless WHM answers otherwise (tokens answer `{}`). */
  readonly failureData?: unknown;
  run(call: WhmCall): Promise<WhmReply>;
}
