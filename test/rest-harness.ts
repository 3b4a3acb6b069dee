import type { LightMyRequestResponse } from "fastify";
import { expect } from "vitest";
import { authorization, form, type Auth, type TestApp } from "./harness.js";

export type Method = "GET" | "POST" | "PUT" | "DELETE" | "PATCH" | "OPTIONS" | "HEAD";

export interface RestCall {
  readonly auth?: Auth;
  /** A JSON body. */
  readonly payload?: unknown;
  /** A form body instead of JSON. */
  readonly form?: Record<string, string | string[]>;
  /** A body sent as it is, with its own content-type header (if any). */
  readonly raw?: string;
  readonly cookies?: Record<string, string>;
  readonly headers?: Record<string, string>;
  readonly ip?: string;
}

/** A REST call in process against whichever app `current` returns when it is made. */
export function restCaller(current: () => TestApp) {
  return async function call(method: Method, url: string, options: RestCall = {}): Promise<LightMyRequestResponse> {
    const headers: Record<string, string> = { ...authorization(options.auth ?? null), ...options.headers };
    let payload: string | undefined = options.raw;
    if (options.form !== undefined) {
      headers["content-type"] = "application/x-www-form-urlencoded";
      payload = form(options.form);
    } else if (options.payload !== undefined) {
      headers["content-type"] = "application/json";
      payload = JSON.stringify(options.payload);
    }
    return current().app.inject({
      method,
      url,
      headers,
      ...(payload === undefined ? {} : { payload }),
      ...(options.cookies === undefined ? {} : { cookies: options.cookies }),
      remoteAddress: options.ip ?? "127.0.0.1",
    });
  };
}

/** PUQ's envelope, on success and on failure. */
export interface Envelope<Msg> {
  readonly error: string;
  readonly msg: Msg;
  readonly status: "success" | "error";
}

/**
 * PUQ's success envelope with the status expected; returns its `msg`, as the shape the caller
 * names (not checked: the test's expectations check what it reads).
 */
export function expectSuccess<Msg = any>(response: LightMyRequestResponse, status = 200): Msg {
  expect(response.statusCode, response.body).toBe(status);
  expect(response.headers["content-type"]).toMatch(/^application\/json/);
  const body = response.json<Envelope<Msg>>();
  expect(Object.keys(body).sort()).toEqual(["error", "msg", "status"]);
  expect(body.error).toBe("");
  expect(body.status).toBe("success");
  return body.msg;
}

/** PUQ's error envelope with the status expected (and, if given, the error text); returns the text. */
export function expectFailure(response: LightMyRequestResponse, status: number, error?: string | RegExp): string {
  expect(response.statusCode, response.body).toBe(status);
  expect(response.headers["content-type"]).toMatch(/^application\/json/);
  const body = response.json<Envelope<"">>();
  expect(Object.keys(body).sort()).toEqual(["error", "msg", "status"]);
  expect(body.msg).toBe("");
  expect(body.status).toBe("error");
  expect(typeof body.error).toBe("string");
  expect(body.error).not.toBe("");
  if (typeof error === "string") expect(body.error).toBe(error);
  else if (error !== undefined) expect(body.error).toMatch(error);
  return body.error;
}
