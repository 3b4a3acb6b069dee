/** Copies text; falls back to a selection copy where the Clipboard API is unavailable (plain HTTP). */
export async function copyText(text: string): Promise<void> {
  if (navigator.clipboard !== undefined && window.isSecureContext) {
    await navigator.clipboard.writeText(text);
    return;
  }
  const field = document.createElement("textarea");
  field.value = text;
  field.setAttribute("readonly", "");
  field.className = "offscreen";
  document.body.append(field);
  field.select();
  const copied = document.execCommand("copy");
  field.remove();
  if (!copied) throw new Error("The browser refused to copy; select the text and copy it by hand.");
}

/** Offers text as a file download without a round trip to the server. */
export function downloadText(filename: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: "application/octet-stream" }));
  const link = document.createElement("a");
  link.href = url;
  link.download = filename;
  link.click();
  // Browsers read the blob after click() returns; revoking at once can cancel the download, so
  // the reference is dropped a little later (FileSaver.js waits as long).
  setTimeout(() => URL.revokeObjectURL(url), 40_000);
}
