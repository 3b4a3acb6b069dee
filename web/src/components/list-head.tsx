/** A list table's caption and column headers; `actions` adds the row-actions column, named for screen readers. */
export function ListHead({ caption, columns, actions = false }: { caption: string; columns: readonly string[]; actions?: boolean }) {
  return (
    <>
      <caption class="offscreen">{caption}</caption>
      <thead>
        <tr>
          {columns.map((column) => (
            <th scope="col" key={column}>
              {column}
            </th>
          ))}
          {actions ? (
            <th scope="col">
              <span class="offscreen">Actions</span>
            </th>
          ) : null}
        </tr>
      </thead>
    </>
  );
}
