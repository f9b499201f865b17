/** The console's addresses, on the History API (the API serves index.html for each of them). */
import { useEffect, useState } from 'preact/hooks';

export type Route =
  | { page: 'apps' }
  | { page: 'app'; app: string }
  | { page: 'config'; app: string }
  | { page: 'scale'; app: string }
  | { page: 'sign-in' }
  | { page: 'not-found' };

export function parseRoute(pathname: string): Route {
  if (pathname === '/' || pathname === '/apps' || pathname === '/apps/') return { page: 'apps' };
  if (pathname === '/sign-in') return { page: 'sign-in' };
  const match = /^\/apps\/([^/]+)(?:\/(config|scale))?\/?$/.exec(pathname);
  if (match) {
    let app: string;
    try { app = decodeURIComponent(match[1]!); } catch { return { page: 'not-found' }; }
    const sub = match[2];
    if (sub === 'config') return { page: 'config', app };
    if (sub === 'scale') return { page: 'scale', app };
    return { page: 'app', app };
  }
  return { page: 'not-found' };
}

export const paths = {
  apps: () => '/',
  app: (app: string) => `/apps/${encodeURIComponent(app)}`,
  config: (app: string) => `/apps/${encodeURIComponent(app)}/config`,
  scale: (app: string) => `/apps/${encodeURIComponent(app)}/scale`,
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
