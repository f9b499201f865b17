/** The console's addresses, on the History API (the API serves index.html for each of them). */
import { useEffect, useState } from 'preact/hooks';

/** Pages under an app: `/apps/:app/<tab>`; the overview is `/apps/:app`. */
export const appTabs = ['config', 'scale', 'deploys', 'logs', 'metrics', 'addons', 'domains', 'access', 'activity'] as const;
export type AppTabPage = (typeof appTabs)[number];
/** Platform-wide pages: `/<page>`. `team` is `/teams/:team`. */
export const topPages = ['activity', 'teams', 'users', 'capacity', 'account'] as const;
export type TopPage = (typeof topPages)[number];

export type Route =
  | { page: 'apps' }
  | { page: 'app'; app: string }
  | { page: AppTabPage; app: string }
  | { page: `top:${TopPage}` }
  | { page: 'team'; team: string }
  | { page: 'sign-in' }
  | { page: 'not-found' };

function decoded(segment: string): string | null {
  try { return decodeURIComponent(segment); } catch { return null; }
}

export function parseRoute(pathname: string): Route {
  const path = pathname.length > 1 ? pathname.replace(/\/$/, '') : pathname;
  if (path === '/' || path === '/apps') return { page: 'apps' };
  if (path === '/sign-in') return { page: 'sign-in' };
  const top = /^\/([a-z]+)$/.exec(path);
  if (top && (topPages as readonly string[]).includes(top[1]!)) return { page: `top:${top[1] as TopPage}` };
  const team = /^\/teams\/([^/]+)$/.exec(path);
  if (team) {
    const name = decoded(team[1]!);
    return name === null ? { page: 'not-found' } : { page: 'team', team: name };
  }
  const match = /^\/apps\/([^/]+)(?:\/([a-z]+))?$/.exec(path);
  if (match) {
    const app = decoded(match[1]!);
    if (app === null) return { page: 'not-found' };
    const sub = match[2];
    if (sub === undefined) return { page: 'app', app };
    if ((appTabs as readonly string[]).includes(sub)) return { page: sub as AppTabPage, app };
  }
  return { page: 'not-found' };
}

const appPath = (app: string, tab?: AppTabPage) => `/apps/${encodeURIComponent(app)}${tab ? `/${tab}` : ''}`;

export const paths = {
  apps: () => '/',
  app: (app: string) => appPath(app),
  appTab: (app: string, tab: AppTabPage) => appPath(app, tab),
  config: (app: string) => appPath(app, 'config'),
  scale: (app: string) => appPath(app, 'scale'),
  top: (page: TopPage) => `/${page}`,
  team: (team: string) => `/teams/${encodeURIComponent(team)}`,
  signIn: () => '/sign-in',
};

const listeners = new Set<() => void>();

export function navigate(to: string, options: { replace?: boolean } = {}): void {
  if (to === location.pathname + location.search) return;
  if (options.replace) history.replaceState(null, '', to);
  else history.pushState(null, '', to);
  for (const listener of listeners) listener();
}

export function useLocation(): string {
  const [path, setPath] = useState(location.pathname);
  useEffect(() => {
    const update = () => setPath(location.pathname);
    listeners.add(update);
    addEventListener('popstate', update);
    return () => { listeners.delete(update); removeEventListener('popstate', update); };
  }, []);
  return path;
}

/** Plain left clicks on same-origin links become History API navigations (others work as links do). */
export function interceptLinks(root: HTMLElement): void {
  root.addEventListener('click', (event) => {
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    const link = (event.target as Element | null)?.closest('a');
    if (!link || link.target || link.hasAttribute('download') || link.origin !== location.origin) return;
    if (link.hash && link.pathname === location.pathname) return; // an anchor on this page (the skip link)
    event.preventDefault();
    navigate(link.pathname + link.search);
  });
}
