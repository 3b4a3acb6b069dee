interface SchemaObject {
  type?: string | string[];
  description?: string;
  properties?: Record<string, SchemaObject>;
  required?: string[];
  items?: SchemaObject;
  anyOf?: SchemaObject[];
  const?: unknown;
}

interface Operation {
  summary?: string;
  tags?: string[];
  parameters?: Array<{ name: string; in: string; required?: boolean; schema?: SchemaObject; description?: string }>;
  requestBody?: { content?: Record<string, { schema?: SchemaObject }> };
  responses?: Record<string, { description?: string; content?: Record<string, { schema?: SchemaObject }> }>;
}

export interface OpenApiDocument {
  info: { title: string; version: string; description?: string };
  paths: Record<string, Record<string, Operation>>;
}

function escape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function typeOf(schema: SchemaObject | undefined): string {
  if (schema === undefined) return "";
  if (schema.anyOf !== undefined) return schema.anyOf.map(typeOf).join(" | ");
  if (schema.const !== undefined) return JSON.stringify(schema.const);
  if (schema.type === "array") return `${typeOf(schema.items)}[]`;
  return [schema.type ?? "object"].flat().join(" | ");
}

function fields(schema: SchemaObject | undefined): string {
  const properties = schema?.properties;
  if (properties === undefined || Object.keys(properties).length === 0) return "";
  const rows = Object.entries(properties)
    .map(
      ([name, property]) =>
        `<tr><td><code>${escape(name)}</code>${schema?.required?.includes(name) === true ? "" : " <small>optional</small>"}</td><td>${escape(typeOf(property))}</td><td>${escape(property.description ?? "")}</td></tr>`,
    )
    .join("");
  return `<table><tr><th>field</th><th>type</th><th></th></tr>${rows}</table>`;
}

/**
 * A readable, script-free reference page generated from the OpenAPI document, so the page and
 * the document can never disagree.
 */
export function renderApiReference(document: OpenApiDocument): string {
  const sections: string[] = [];
  for (const [path, operations] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(operations)) {
      const parameters = (operation.parameters ?? [])
        .map((parameter) => `<li><code>${escape(parameter.name)}</code> (${escape(parameter.in)}${parameter.required === true ? ", required" : ""}) ${escape(typeOf(parameter.schema))}</li>`)
        .join("");
      const body = fields(operation.requestBody?.content?.["application/json"]?.schema);
      const responses = Object.entries(operation.responses ?? {})
        .map(([status, response]) => {
          const msg = response.content?.["application/json"]?.schema?.properties?.msg;
          return `<li><b>${escape(status)}</b> ${escape(typeOf(msg))}${fields(msg?.items ?? msg)}</li>`;
        })
        .join("");
      sections.push(
        `<section><h3><span class="m">${escape(method.toUpperCase())}</span> <code>${escape(path)}</code></h3><p>${escape(operation.summary ?? "")}</p>` +
          (parameters === "" ? "" : `<h4>Parameters</h4><ul>${parameters}</ul>`) +
          (body === "" ? "" : `<h4>Body (JSON or form)</h4>${body}`) +
          `<h4>Responses</h4><ul>${responses}</ul></section>`,
      );
    }
  }
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escape(document.info.title)}</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1b1f24}code{background:#f1f3f5;padding:0 .25rem;border-radius:3px}section{border-top:1px solid #d0d7de;padding:.5rem 0}.m{display:inline-block;min-width:4rem;font-weight:700;color:#0b5cad}table{border-collapse:collapse;margin:.5rem 0}td,th{border:1px solid #d0d7de;padding:.2rem .5rem;text-align:left;vertical-align:top}</style></head>
<body><h1>${escape(document.info.title)} ${escape(document.info.version)}</h1><p>${escape(document.info.description ?? "")}</p><p>Machine-readable: <a href="/api/v1/openapi.json">/api/v1/openapi.json</a> (OpenAPI 3.1).</p>${sections.join("\n")}</body></html>`;
}
