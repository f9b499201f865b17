/** The shell: who is signed in, the live-stream banner, the header and the page for the address. */
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError, setCsrfToken, whenSignedOut } from './api/client';
import type { SessionInfo } from './api/types';
import { live, type LiveState } from './live';
import { navigate, parseRoute, paths, useLocation, type Route } from './router';
import { AppOverview } from './pages/AppOverview';
import { AppsList } from './pages/AppsList';
import { ConfigVars } from './pages/ConfigVars';
import { Scaling } from './pages/Scaling';
import { SignIn } from './pages/SignIn';
import { Deploys } from './pages/Deploys';
import { Logs } from './pages/Logs';
import { Metrics } from './pages/Metrics';
import { AddOns } from './pages/AddOns';
import { Domains } from './pages/Domains';
import { Access } from './pages/Access';
import { AppActivity } from './pages/AppActivity';
import { Activity } from './pages/Activity';
import { Teams } from './pages/Teams';
import { Team } from './pages/Team';
import { Users } from './pages/Users';
import { Capacity } from './pages/Capacity';
import { Account } from './pages/Account';
import { ErrorNote, PageTitle } from './ui/common';

type SessionState = { status: 'checking' } | { status: 'signed-out'; notice: string | null } | { status: 'signed-in'; session: SessionInfo };

function LiveBanner() {
  const [state, setState] = useState<LiveState>(live.current());
  useEffect(() => live.onState(setState), []);
  if (state !== 'down') return null;
  return (
    <div class="banner" role="status">
      Live updates are interrupted; reconnecting. Everything still works, and the page catches up when the connection is back.
    </div>
  );
}

function Header({ session, onSignOut }: { session: SessionInfo; onSignOut: () => void }) {
  return (
    <header class="top">
      <a href={paths.apps()} class="brand">Slipway</a>
      <nav aria-label="Main">
        <a href={paths.apps()}>Apps</a>
        <a href={paths.top('activity')}>Activity</a>
        <a href={paths.top('teams')}>Teams</a>
        {session.user.platformAdmin && <a href={paths.top('users')}>Users</a>}
        {session.user.platformAdmin && <a href={paths.top('capacity')}>Capacity</a>}
      </nav>
      <span class="who">Signed in as <a href={paths.top('account')} aria-label={`Your account: ${session.user.name}`}><strong>{session.user.name}</strong></a></span>
      <button type="button" onClick={onSignOut}>Sign out</button>
    </header>
  );
}

function NotFound() {
  return (
    <main id="main">
      <PageTitle title="Not found">Page not found</PageTitle>
      <p>There is no console page at this address. <a href={paths.apps()}>Go to the apps</a>.</p>
    </main>
  );
}

/** One line per address: each page is its own module (web/src/pages/). */
function Page({ route }: { route: Route }) {
  switch (route.page) {
    case 'apps': case 'sign-in': return <AppsList />;
    case 'app': return <AppOverview app={route.app} />;
    case 'config': return <ConfigVars app={route.app} />;
    case 'scale': return <Scaling app={route.app} />;
    case 'deploys': return <Deploys app={route.app} />;
    case 'logs': return <Logs app={route.app} />;
    case 'metrics': return <Metrics app={route.app} />;
    case 'addons': return <AddOns app={route.app} />;
    case 'domains': return <Domains app={route.app} />;
    case 'access': return <Access app={route.app} />;
    case 'activity': return <AppActivity app={route.app} />;
    case 'top:activity': return <Activity />;
    case 'top:teams': return <Teams />;
    case 'top:users': return <Users />;
    case 'top:capacity': return <Capacity />;
    case 'top:account': return <Account />;
    case 'team': return <Team team={route.team} />;
    case 'not-found': return <NotFound />;
  }
}

export function App() {
  const pathname = useLocation();
  const [state, setState] = useState<SessionState>({ status: 'checking' });
  const [error, setError] = useState<unknown>(null);

  // Whether a session is on (or being ended by the user): requests still in flight when it ends
  // are answered 401 afterwards, and must not replace "You are signed out." by "Your session has ended".
  const sessionOn = useRef(false);
  const signedOut = (notice: string | null) => {
    sessionOn.current = false;
    setCsrfToken(null);
    live.stop();
    setState({ status: 'signed-out', notice });
  };
  const signedIn = (session: SessionInfo) => {
    sessionOn.current = true;
    setCsrfToken(session.csrfToken);
    setState({ status: 'signed-in', session });
  };

  useEffect(() => {
    whenSignedOut(() => { if (sessionOn.current) signedOut('Your session has ended. Sign in again to continue.'); });
    api.session.get().then(
      signedIn,
      (failure: unknown) => {
        if (failure instanceof ApiError && failure.status === 401) signedOut(null);
        else { setError(failure); signedOut(null); }
      },
    );
  }, []);

  useEffect(() => {
    if (state.status === 'signed-in') live.start();
  }, [state.status]);

  useEffect(() => {
    if (state.status === 'signed-in' && pathname === paths.signIn()) navigate(paths.apps(), { replace: true });
  }, [state.status, pathname]);

  if (state.status === 'checking') return <p class="muted center" role="status">Loading…</p>;
  if (state.status === 'signed-out') {
    return (
      <>
        <ErrorNote error={error} />
        <SignIn notice={state.notice} onSignedIn={(session) => { setError(null); signedIn(session); }} />
      </>
    );
  }

  const signOut = () => {
    sessionOn.current = false;
    api.session.end().then(
      () => { signedOut('You are signed out.'); navigate(paths.signIn()); },
      (failure: unknown) => { sessionOn.current = true; setError(failure); },
    );
  };
  const route = parseRoute(pathname);
  return (
    <>
      <a href="#main" class="skip">Skip to content</a>
      <Header session={state.session} onSignOut={signOut} />
      <LiveBanner />
      <ErrorNote error={error} />
      <Page route={route} />
    </>
  );
}
