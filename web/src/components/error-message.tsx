/** An error from the API, announced to screen readers as soon as it appears. */
export function ErrorMessage({ message }: { message: string | null }) {
  if (message === null) return null;
  return (
    <p class="message error" role="alert">
      {message}
    </p>
  );
}
