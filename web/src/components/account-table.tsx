import type { Account } from "../types.js";
import { AclSummary } from "./acl-summary.js";
import { ListHead } from "./list-head.js";

interface Props {
  readonly accounts: readonly Account[];
  readonly canEditPrivileges: boolean;
  readonly canRemove: (account: Account) => boolean;
  readonly onEditPrivileges: (account: Account) => void;
  readonly onRemove: (account: Account) => void;
}

export function AccountTable({ accounts, canEditPrivileges, canRemove, onEditPrivileges, onRemove }: Props) {
  if (accounts.length === 0) return <p class="empty">No accounts to show.</p>;
  return (
    <table class="list">
      <ListHead caption="Accounts" columns={["User", "Role", "Owner", "Domain", "Privileges"]} actions />
      <tbody>
        {accounts.map((account) => (
          <tr key={account.user}>
            <th scope="row" data-label="User">
              {account.user} {account.suspended ? <span class="badge bad">Suspended</span> : null}
            </th>
            <td data-label="Role">{account.role}</td>
            <td data-label="Owner">{account.owner}</td>
            <td data-label="Domain">{account.domain ?? <span class="muted">none</span>}</td>
            <td data-label="Privileges">{account.role === "user" ? <span class="muted">cPanel user</span> : <AclSummary acls={account.acls} />}</td>
            <td class="row-actions">
              {canEditPrivileges && account.role === "reseller" ? (
                <button type="button" onClick={() => onEditPrivileges(account)} aria-label={`Privileges of ${account.user}`}>
                  Privileges
                </button>
              ) : null}
              {canRemove(account) ? (
                <button type="button" class="danger" onClick={() => onRemove(account)} aria-label={`Remove ${account.user}`}>
                  Remove
                </button>
              ) : null}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
