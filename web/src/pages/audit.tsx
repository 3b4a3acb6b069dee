import { useState } from "preact/hooks";
import { api, errorText, query } from "../api.js";
import { AuditFilters, NO_FILTER, type AuditFilter } from "../components/audit-filters.js";
import { AuditTable } from "../components/audit-table.js";
import { ErrorMessage } from "../components/error-message.js";
import { PageTitle } from "../components/page-title.js";
import { millisecondsFromLocal } from "../format.js";
import { isRootLevel, type AuditEntry, type Session } from "../types.js";
import { useLoad } from "../use-load.js";

const PAGE = 100;

function fetchEntries(filter: AuditFilter, before?: string): Promise<AuditEntry[]> {
  const params = {
    actor: filter.actor.trim(),
    action: filter.action.trim(),
    target: filter.target.trim(),
    since: millisecondsFromLocal(filter.since),
    until: millisecondsFromLocal(filter.until),
    before,
    limit: PAGE,
  };
  return api<AuditEntry[]>("GET", `/audit${query(params)}`);
}

/** The audit log, newest first; root reads everyone's entries, others their own actions. */
export function AuditPage({ session }: { session: Session }) {
  const [filter, setFilter] = useState(NO_FILTER);
  const [older, setOlder] = useState<AuditEntry[]>([]);
  const [olderError, setOlderError] = useState<string | null>(null);
  const [exhausted, setExhausted] = useState(false);
  const first = useLoad(() => fetchEntries(filter), [filter]);
  const entries = [...(first.data ?? []), ...older];

  async function loadOlder(): Promise<void> {
    const last = entries[entries.length - 1];
    if (last === undefined) return;
    try {
      const page = await fetchEntries(filter, last.id);
      setOlder([...older, ...page]);
      setExhausted(page.length < PAGE);
    } catch (failure) {
      setOlderError(errorText(failure));
    }
  }

  const rootLevel = isRootLevel(session);
  return (
    <>
      <PageTitle>Audit log</PageTitle>
      <p class="lead">{rootLevel ? "Every change and failed login, newest first." : "Your own actions, newest first."} Entries name what changed, never a password, token or hash.</p>
      <AuditFilters
        initial={filter}
        showActor={rootLevel}
        onApply={(next) => {
          setOlder([]);
          setExhausted(false);
          setOlderError(null);
          setFilter(next);
        }}
      />
      <ErrorMessage message={first.error ?? olderError} />
      {first.data === null ? null : (
        <section aria-label="Entries">
          <AuditTable entries={entries} />
          {!exhausted && entries.length >= PAGE ? (
            <button type="button" onClick={() => void loadOlder()}>
              Show older entries
            </button>
          ) : null}
        </section>
      )}
    </>
  );
}
