import { useId } from "preact/hooks";
import { downloadText } from "../clipboard.js";
import { when } from "../format.js";
import type { WhmAccessHash } from "../types.js";
import { CopyButton } from "./copy-button.js";

const LINE = 32;

/** WHM's layout: 30 lines of 32 characters, which is also the `.accesshash` file, each line ending in LF. */
export function accessHashLines(hash: string): string[] {
  return hash.match(new RegExp(`.{1,${LINE}}`, "g")) ?? [];
}

export function WhmAccessHashView({ accessKey }: { accessKey: WhmAccessHash }) {
  const keyId = useId();
  const signatureId = useId();
  const signatureHint = useId();
  const lines = accessHashLines(accessKey.accesshash);
  return (
    <div class="card access-key">
      <div class="field">
        <label for={keyId}>Remote access key for {accessKey.user}</label>
        <textarea id={keyId} class="mono key" readOnly rows={lines.length} cols={LINE + 2} wrap="off" spellcheck={false} value={lines.join("\n")} />
      </div>
      <div class="actions">
        <CopyButton text={accessKey.accesshash} label="Copy key" />
        <button type="button" onClick={() => downloadText(".accesshash", lines.map((line) => `${line}\n`).join(""))}>
          Download .accesshash
        </button>
      </div>
      <div class="field">
        <label for={signatureId}>Access Key Signature</label>
        {/* A textarea, so that on a narrow screen the signature wraps instead of being cut off. */}
        <textarea id={signatureId} class="mono signature" readOnly rows={1} spellcheck={false} value={accessKey.signature} aria-describedby={signatureHint} />
        <p class="hint" id={signatureHint}>
          The key's first 32 characters in pairs: compare it with what a remote system shows to check it holds this key.
        </p>
      </div>
      <p class="muted">
        Generated {when(accessKey.created_at)}. Last used: {when(accessKey.last_used_at)}
        {accessKey.last_used_ip === null ? "" : ` from ${accessKey.last_used_ip}`}.
      </p>
    </div>
  );
}
