import { useEffect, useState } from "preact/hooks";
import { api, hasSecurityToken, setSecurityToken, whenSessionLost } from "./api.js";
import { Nav } from "./components/nav.js";
import { AccountsPage } from "./pages/accounts.js";
import { AuditPage } from "./pages/audit.js";
import { IpAccessHashesPage } from "./pages/ip-access-hashes.js";
import { LoginPage } from "./pages/login.js";
import { TokensPage } from "./pages/tokens.js";
import { TweakSettingsPage } from "./pages/tweak-settings.js";
import { WhmAccessHashPage } from "./pages/whm-access-hash.js";
import { DEFAULT_PAGE, href, useRoute, type PageId } from "./route.js";
import type { Session } from "./types.js";

type State = { kind: "checking" } | { kind: "anonymous"; notice: string | null } | { kind: "ready"; session: Session };

function Page({ page, session }: { page: PageId; session: Session }) {
  switch (page) {
    case "tokens":
      return <TokensPage session={session} />;
    case "remote-access-key":
      return <WhmAccessHashPage session={session} />;
    case "access-hashes":
      return <IpAccessHashesPage session={session} />;
    case "tweak-settings":
      return <TweakSettingsPage session={session} />;
    case "accounts":
      return <AccountsPage session={session} />;
    case "audit":
      return <AuditPage session={session} />;
  }
}

export function App() {
  const [state, setState] = useState<State>(() => (hasSecurityToken() ? { kind: "checking" } : { kind: "anonymous", notice: null }));
  const route = useRoute();

  useEffect(() => {
    whenSessionLost(() => setState({ kind: "anonymous", notice: "Your session has ended; log in again." }));
    if (!hasSecurityToken()) return;
    api<Session>("GET", "/session").then(
      (session) => setState({ kind: "ready", session }),
      () => setState({ kind: "anonymous", notice: null }),
    );
  }, []);

  useEffect(() => {
    if (state.kind === "ready" && route === null) window.location.replace(href(DEFAULT_PAGE));
  }, [state.kind, route]);

  async function logout(): Promise<void> {
    await api("DELETE", "/session").catch(() => undefined);
    setSecurityToken(null);
    setState({ kind: "anonymous", notice: "You are logged out." });
  }

  if (state.kind === "checking") return <p aria-busy="true">Loading…</p>;
  if (state.kind === "anonymous") return <LoginPage notice={state.notice} onLogin={(session) => setState({ kind: "ready", session })} />;
  const page = route ?? DEFAULT_PAGE;
  return (
    <>
      <Nav session={state.session} page={page} onLogout={() => void logout()} />
      <main id="content">
        <Page key={page} page={page} session={state.session} />
      </main>
    </>
  );
}
