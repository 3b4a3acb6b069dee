import { useId } from "preact/hooks";
import type { AclCatalogue } from "../types.js";

interface Props {
  readonly catalogue: AclCatalogue;
  readonly selected: ReadonlySet<string>;
  readonly onChange: (next: Set<string>) => void;
  /** Only privileges the caller holds may be given; others are not offered. */
  readonly grantable: (acl: string) => boolean;
  /** The "Root Access" group (`all`): for reseller privileges, not for tokens, which say "full access" instead. */
  readonly includeRoot?: boolean;
  /** Privileges worth a warning (for tokens: those that get around the token's limits). */
  readonly warn?: ReadonlySet<string>;
}

/** WHM's privilege names as grouped checkboxes, one fieldset per group. */
export function AclPicker({ catalogue, selected, onChange, grantable, includeRoot = false, warn = new Set() }: Props) {
  const prefix = useId();
  function toggle(acl: string, on: boolean): void {
    const next = new Set(selected);
    if (on) next.add(acl);
    else next.delete(acl);
    onChange(next);
  }
  const groups = catalogue.groups
    .filter((group) => includeRoot || group.id !== "root")
    .map((group) => ({ ...group, acls: group.acls.filter(grantable) }))
    .filter((group) => group.acls.length > 0);
  return (
    <>
      {groups.some((group) => group.acls.some((acl) => warn.has(acl))) ? (
        <p class="hint">
          <span aria-hidden="true">⚠</span> marks privileges that reach passwords, sessions or other tokens, and so let whoever holds the token get around its limits.
        </p>
      ) : null}
      <div class="acl-groups">
      {groups.map((group) => (
        <fieldset key={group.id} class="acl-group">
          <legend>{group.title}</legend>
          {group.acls.map((acl) => (
            <div class="check" key={acl}>
              <input type="checkbox" id={`${prefix}-${acl}`} checked={selected.has(acl)} onChange={(event) => toggle(acl, event.currentTarget.checked)} />
              <label for={`${prefix}-${acl}`}>
                {acl}
                {warn.has(acl) ? (
                  <>
                    <span class="warn-mark" aria-hidden="true">
                      {" "}
                      ⚠
                    </span>
                    <span class="offscreen"> (can get around the token's limits)</span>
                  </>
                ) : null}
              </label>
            </div>
          ))}
        </fieldset>
      ))}
      </div>
    </>
  );
}
