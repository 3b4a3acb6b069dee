import type { ComponentChildren } from "preact";
import { useEffect, useId, useRef } from "preact/hooks";
import { CopyButton } from "./copy-button.js";

interface Props {
  readonly title: string;
  readonly label: string;
  readonly secret: string;
  readonly children?: ComponentChildren;
  /** The parent drops the secret from its state here; nothing keeps a copy. */
  readonly onDismiss: () => void;
}

/** A newly created secret, with the warning that this is the only time it is shown. */
export function SecretOnce({ title, label, secret, children, onDismiss }: Props) {
  const fieldId = useId();
  const warningId = useId();
  const field = useRef<HTMLInputElement>(null);
  // Focused and selected on arrival: keyboard users copy it at once, screen readers read it out.
  useEffect(() => field.current?.focus(), []);
  return (
    <section class="secret-once" aria-label={title}>
      <h2>{title}</h2>
      <p id={warningId} class="warning">
        <strong>Copy it now: it will not be shown again.</strong> Keyhold keeps only a digest of it, so nobody can read it back later; if it is lost, create a new one.
      </p>
      <label for={fieldId}>{label}</label>
      <div class="secret-row">
        <input ref={field} id={fieldId} class="mono" readOnly value={secret} aria-describedby={warningId} onFocus={(event) => event.currentTarget.select()} />
        <CopyButton text={secret} />
      </div>
      {children}
      <button type="button" class="primary" onClick={onDismiss}>
        I have copied it
      </button>
    </section>
  );
}
