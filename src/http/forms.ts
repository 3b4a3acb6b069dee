import { invalidArgument } from "../core/errors.js";

export type FormFields = Record<string, string | string[]>;

/**
 * Parses an `application/x-www-form-urlencoded` body; a repeated key becomes a list.
 * cPanel::PublicAPI posts WHM calls without a Content-Type, so untyped bodies are read this way too.
 */
export function parseFormBody(body: string): FormFields {
  const fields: FormFields = Object.create(null) as FormFields;
  for (const pair of body.split("&")) {
    if (pair.trim() === "") continue;
    const equals = pair.indexOf("=");
    const key = decode(equals === -1 ? pair : pair.slice(0, equals));
    const value = equals === -1 ? "" : decode(pair.slice(equals + 1));
    const previous = fields[key];
    fields[key] = previous === undefined ? value : [...(Array.isArray(previous) ? previous : [previous]), value];
  }
  return fields;
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, " "));
  } catch {
    throw invalidArgument("The request body is not valid form data (bad percent-encoding).");
  }
}
