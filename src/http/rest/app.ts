import type { FastifyBaseLogger, FastifyInstance, RawReplyDefaultExpression, RawRequestDefaultExpression, RawServerDefault } from "fastify";
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import type { Keyhold } from "../../core/keyhold.js";
import type { HttpOptions } from "../context.js";

/** The Fastify instance REST routes are registered on, typed by their TypeBox schemas. */
export type RestApp = FastifyInstance<RawServerDefault, RawRequestDefaultExpression, RawReplyDefaultExpression, FastifyBaseLogger, TypeBoxTypeProvider>;

export interface RestContext {
  readonly keyhold: Keyhold;
  readonly options: HttpOptions;
  readonly startedAt: number;
}
