import { useId, useState } from "preact/hooks";

export interface AuditFilter {
  readonly actor: string;
  readonly action: string;
  readonly target: string;
  readonly since: string;
  readonly until: string;
}

export const NO_FILTER: AuditFilter = { actor: "", action: "", target: "", since: "", until: "" };

// The actions Keyhold writes, offered as suggestions; any text is still accepted.
export const ACTIONS: readonly string[] = [
  "accesshash.generate",
  "accesshash.import",
  "account.acls",
  "account.create",
  "account.import",
  "account.password",
  "account.remove",
  "account.suspend",
  "account.unsuspend",
  "brute-force.flush",
  "ip-access-hash.create",
  "ip-access-hash.delete",
  "ip-access-hash.update",
  "login.failure",
  "login.success",
  "reseller.setup",
  "reseller.unsetup",
  "session.create",
  "setting.set",
  "token.convert",
  "token.create",
  "token.import",
  "token.revoke",
  "token.update",
];

export function AuditFilters({ initial, showActor, onApply }: { initial: AuditFilter; showActor: boolean; onApply: (filter: AuditFilter) => void }) {
  const [filter, setFilter] = useState(initial);
  const id = useId();
  const field = (key: keyof AuditFilter, label: string, type: "text" | "datetime-local" = "text", list?: string, hint?: string) => (
    <div class="field">
      <label for={`${id}-${key}`}>{label}</label>
      <input
        id={`${id}-${key}`}
        type={type}
        list={list}
        value={filter[key]}
        autocomplete="off"
        aria-describedby={hint === undefined ? undefined : `${id}-${key}-hint`}
        onInput={(event) => setFilter({ ...filter, [key]: event.currentTarget.value })}
      />
      {hint === undefined ? null : (
        <p class="hint" id={`${id}-${key}-hint`}>
          {hint}
        </p>
      )}
    </div>
  );
  return (
    <form
      class="card filters"
      aria-label="Filter the audit log"
      onSubmit={(event) => {
        event.preventDefault();
        onApply(filter);
      }}
    >
      {showActor ? field("actor", "Account (who acted)") : null}
      {field("action", "Action", "text", `${id}-actions`, "An action, or its beginning: “token” finds token.create, token.revoke…")}
      <datalist id={`${id}-actions`}>
        {ACTIONS.map((action) => (
          <option key={action} value={action} />
        ))}
      </datalist>
      {field("target", "Target")}
      {field("since", "From", "datetime-local")}
      {field("until", "Until", "datetime-local")}
      <div class="actions">
        <button type="submit" class="primary">
          Filter
        </button>
        <button
          type="button"
          onClick={() => {
            setFilter(NO_FILTER);
            onApply(NO_FILTER);
          }}
        >
          Clear
        </button>
      </div>
    </form>
  );
}
