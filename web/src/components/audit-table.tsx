import { Fragment } from "preact";
import { when } from "../format.js";
import type { AuditEntry } from "../types.js";
import { ListHead } from "./list-head.js";

function details(entry: AuditEntry): string {
  return Object.entries(entry.detail)
    // A list ("a,b,c") gets a space after each comma, so lines break between its items.
    .map(([key, value]) => `${key}=${value === null || value === undefined ? "–" : String(value).replace(/,(?=\S)/g, ", ")}`)
    .join(", ");
}

/** Entries hold names and outcomes only: the log never stores a secret, so there is none to hide. */
export function AuditTable({ entries }: { entries: readonly AuditEntry[] }) {
  if (entries.length === 0) return <p class="empty">No entries match.</p>;
  return (
    <table class="list audit">
      <ListHead caption="Audit log entries, newest first" columns={["Time", "Account", "IP", "Action", "Target", "Outcome", "Details"]} />
      <tbody>
        {entries.map((entry) => (
          <tr key={entry.id} class={entry.outcome === "success" ? undefined : "failed"}>
            <td data-label="Time" class="nowrap">{when(entry.at, "", "ms")}</td>
            <td data-label="Account">{entry.actor}</td>
            <td data-label="IP" class="mono">
              {entry.ip}
            </td>
            <th scope="row" data-label="Action" class="mono nowrap">
              {entry.action}
            </th>
            <td data-label="Target" class="target">
              {entry.target}
            </td>
            <td data-label="Outcome">{entry.outcome}</td>
            <td data-label="Details" class="detail">
              {/* Each word kept whole ("code=NOT_FOUND", "basic-system-info,"): lines break only at the spaces. */}
              {details(entry)
                .split(" ")
                .map((word, index) => (
                  <Fragment key={index}>
                    {index === 0 ? "" : " "}
                    <span class="word">{word}</span>
                  </Fragment>
                ))}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
