import { href, type PageId } from "../route.js";
import { holds, isRootLevel, type Session } from "../types.js";

const LINKS: ReadonlyArray<{ page: PageId; label: string; visible: (session: Session) => boolean }> = [
  { page: "tokens", label: "Manage API Tokens", visible: () => true },
  { page: "remote-access-key", label: "Remote Access Key", visible: (session) => holds(session, "manage-api-tokens") },
  { page: "access-hashes", label: "Settings → API", visible: (session) => holds(session, "manage-api-tokens") },
  { page: "accounts", label: "Accounts", visible: (session) => holds(session, "list-accts") },
  { page: "tweak-settings", label: "Tweak Settings", visible: isRootLevel },
  { page: "audit", label: "Audit log", visible: () => true },
];

export function Nav({ session, page, onLogout }: { session: Session; page: PageId; onLogout: () => void }) {
  return (
    <header class="top">
      <a class="skip" href="#content">
        Skip to content
      </a>
      <div class="brand">Keyhold</div>
      <nav aria-label="Main">
        <ul>
          {LINKS.filter((link) => link.visible(session)).map((link) => (
            <li key={link.page}>
              <a href={href(link.page)} aria-current={link.page === page ? "page" : undefined}>
                {link.label}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      <div class="who">
        <span>
          {session.user} <span class="muted">({session.role})</span>
        </span>
        <button type="button" onClick={onLogout}>
          Log out
        </button>
      </div>
    </header>
  );
}
