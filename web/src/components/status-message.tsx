/** A success note, announced politely. */
export function StatusMessage({ message }: { message: string | null }) {
  return (
    <p class="message ok" role="status" hidden={message === null}>
      {message}
    </p>
  );
}
