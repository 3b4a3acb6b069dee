import { Failure } from "../schemas.js";

/** Every error a REST route can answer, all in PUQ's envelope. */
export const errorResponses = {
  400: Failure,
  401: Failure,
  403: Failure,
  404: Failure,
  409: Failure,
  413: Failure,
  429: Failure,
} as const;
