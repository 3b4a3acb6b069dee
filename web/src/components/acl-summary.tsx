const SHOWN = 3;

/** A token's or account's privileges in a few words; the full list is in the tooltip. */
export function AclSummary({ acls }: { acls: readonly string[] | null }) {
  if (acls === null || acls.includes("all")) return <span class="badge">Full access</span>;
  if (acls.length === 0) return <span class="muted">None</span>;
  const more = acls.length - SHOWN;
  return (
    <span title={acls.join(", ")}>
      {acls.slice(0, SHOWN).join(", ")}
      {more > 0 ? ` and ${more} more` : ""}
    </span>
  );
}
