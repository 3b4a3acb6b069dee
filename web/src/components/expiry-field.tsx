import { useId } from "preact/hooks";

/** An optional expiry as a local date and time; empty is "never". */
export function ExpiryField({ value, onChange, label = "Expires" }: { value: string; onChange: (value: string) => void; label?: string }) {
  const id = useId();
  const hintId = useId();
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <input id={id} type="datetime-local" value={value} aria-describedby={hintId} onInput={(event) => onChange(event.currentTarget.value)} />
      <p class="hint" id={hintId}>
        Leave empty for no expiry. In your browser's time zone.
      </p>
    </div>
  );
}
