import { useState } from "preact/hooks";
import { api, query } from "../api.js";
import { ACTIONS, AuditFilters, NO_FILTER, type AuditFilter } from "../components/audit-filters.js";
import { AuditTable } from "../components/audit-table.js";
import { ErrorMessage } from "../components/error-message.js";
import { PageTitle } from "../components/page-title.js";
import { millisecondsFromLocal } from "../format.js";
import { isRootLevel, type AuditEntry, type Session } from "../types.js";
import { useLoad } from "../use-load.js";

// A phone shows each entry as a card: fewer per page keeps the page a page.
const DESKTOP_PAGE = 50;
const PHONE_PAGE = 15;

function pageSize(): number {
  return matchMedia("(max-width: 40rem)").matches ? PHONE_PAGE : DESKTOP_PAGE;
}

/**
 * The exact actions a filter text stands for. The API matches an action exactly, so a beginning
 * of known actions ("token", "account.") stands for each action it begins; other text is sent as is.
 */
export function actionsFor(text: string): Array<string | undefined> {
  const wanted = text.trim().toLowerCase();
  if (wanted === "") return [undefined];
  if (ACTIONS.includes(wanted)) return [wanted];
  const matching = ACTIONS.filter((action) => action.startsWith(wanted));
  return matching.length === 0 ? [text.trim()] : matching;
}

interface AuditPageData {
  readonly entries: AuditEntry[];
  readonly more: boolean;
}

async function fetchPage(filter: AuditFilter, before: string | undefined, size: number): Promise<AuditPageData> {
  const params = {
    actor: filter.actor.trim(),
    target: filter.target.trim(),
    since: millisecondsFromLocal(filter.since),
    until: millisecondsFromLocal(filter.until),
    before,
    // One more than shown tells whether there is an older page.
    limit: size + 1,
  };
  const lists = await Promise.all(actionsFor(filter.action).map((action) => api<AuditEntry[]>("GET", `/audit${query({ ...params, action })}`)));
  // Ids are time-ordered, so merging the lists by id keeps the log newest first.
  const merged = lists.flat().sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
  return { entries: merged.slice(0, size), more: merged.length > size };
}

/** The audit log, newest first, a page at a time; root reads everyone's entries, others their own actions. */
export function AuditPage({ session }: { session: Session }) {
  const [filter, setFilter] = useState(NO_FILTER);
  // The `before` cursor of each page seen so far: the last is the page shown.
  const [cursors, setCursors] = useState<Array<string | undefined>>([undefined]);
  const cursor = cursors[cursors.length - 1];
  const page = useLoad(() => fetchPage(filter, cursor, pageSize()), [filter, cursor]);
  const entries = page.data?.entries ?? [];

  function turn(next: Array<string | undefined>): void {
    setCursors(next);
    window.scrollTo(0, 0);
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
          setCursors([undefined]);
          setFilter(next);
        }}
      />
      <ErrorMessage message={page.error} />
      {page.data === null ? null : (
        <section aria-label="Entries">
          <AuditTable entries={entries} />
          {cursors.length === 1 && !page.data.more ? null : (
            <nav class="pager" aria-label="Audit log pages">
              <button type="button" disabled={cursors.length === 1 || page.loading} onClick={() => turn(cursors.slice(0, -1))}>
                ← Newer
              </button>
              <span class="muted">Page {cursors.length}</span>
              <button type="button" disabled={!page.data.more || page.loading} onClick={() => turn([...cursors, entries[entries.length - 1]?.id])}>
                Older →
              </button>
            </nav>
          )}
        </section>
      )}
    </>
  );
}
