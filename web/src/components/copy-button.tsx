import { useEffect, useState } from "preact/hooks";
import { copyText } from "../clipboard.js";

/** Copies `text` and says so next to the button for a moment. */
export function CopyButton({ text, label = "Copy" }: { text: string; label?: string }) {
  const [note, setNote] = useState("");
  useEffect(() => {
    if (note === "") return;
    const timer = setTimeout(() => setNote(""), 4000);
    return () => clearTimeout(timer);
  }, [note]);
  async function copy(): Promise<void> {
    try {
      await copyText(text);
      setNote("Copied to the clipboard.");
    } catch (error) {
      setNote(error instanceof Error ? error.message : "Could not copy.");
    }
  }
  return (
    <span class="copy">
      <button type="button" onClick={copy}>
        {label}
      </button>
      <span class="copy-note" role="status">
        {note}
      </span>
    </span>
  );
}
