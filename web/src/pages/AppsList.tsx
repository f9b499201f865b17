import { useEffect, useMemo, useState } from 'preact/hooks';
import { api } from '../api/client';
import { metricsApi } from '../api/metrics';
import { formatters, Sparkline } from '../ui/chart';
import type { App, PlatformInfo } from '../api/types';
import { useResource } from '../resource';
import { paths, navigate } from '../router';
import { useAction } from '../ui/action';
import { ErrorNote, Loading, PageTitle, upCount } from '../ui/common';

/** The team an app belongs to, once the API reports it (teams, issue 11). */
function teamOf(app: App): string | null {
  const team = (app as { team?: unknown }).team;
  if (typeof team === 'string') return team;
  if (team && typeof team === 'object' && typeof (team as { name?: unknown }).name === 'string') return (team as { name: string }).name;
  return null;
}

/** Instances of the apps shown: one small request per row, reloaded when that app changes. */
function Instances({ app }: { app: string }) {
  const ps = useResource(() => api.apps.ps(app), `ps:${app}`, (c) => c.app === app);
  if (ps.error) return <span class="muted" title="Could not read the instances">?</span>;
  if (!ps.data) return <span class="muted">…</span>;
  const { up, total } = upCount(ps.data.instances);
  const tone = total === 0 ? 'muted' : up === total ? 'ok' : 'bad';
  return <span class={tone} aria-label={`${up} of ${total} instances up`}>{up}/{total}</span>;
}

/** Every app's request rate in one request, every minute (its points are a minute apart). */
const RATES_REFRESH_MS = 60_000;

function useRequestRates() {
  const rates = useResource(() => metricsApi.requestRates(), 'request-rates', () => false);
  useEffect(() => {
    const timer = setInterval(() => { if (document.visibilityState === 'visible') rates.reload(); }, RATES_REFRESH_MS);
    return () => clearInterval(timer);
  }, [rates.reload]);
  return useMemo(() => new Map((rates.data?.apps ?? []).map((a) => [a.app, a.points])), [rates.data]);
}

function RequestRate({ app, points }: { app: string; points: Array<[number, number]> | undefined }) {
  if (!points || points.length === 0) return <span class="muted">–<span class="visually-hidden"> no requests in the last hour</span></span>;
  const latest = points[points.length - 1]![1];
  return (
    <span class="rate-cell">
      <Sparkline points={points} label={`${app}: requests per second over the last hour, now ${formatters.rate(latest)}`} />
      <span class="muted small" aria-hidden="true">{formatters.rate(latest)}</span>
    </span>
  );
}

export function EmptyState({ info, name }: { info: PlatformInfo | null; name: string }) {
  const remote = info ? `ssh://git@${info.sshHost}:${info.sshPort}/${name}.git` : `<git URL shown by apps:create>`;
  return (
    <div class="card empty">
      <p>Create an app and push code to it from your terminal:</p>
      <pre><code>{`slipway apps:create ${name}\ngit remote add slipway ${remote}\ngit push slipway main`}</code></pre>
    </div>
  );
}

function CreateApp({ onCreated }: { onCreated: (app: App) => void }) {
  const [name, setName] = useState('');
  const { busy, error, run } = useAction();
  const submit = async (event: Event) => {
    event.preventDefault();
    await run(async () => {
      onCreated(await api.apps.create(name.trim()));
      setName('');
    });
  };
  return (
    <form class="inline-form" onSubmit={submit}>
      <label for="new-app">New app</label>
      <input id="new-app" placeholder="my-app" required pattern={"[a-z][a-z0-9\\-]*"} maxLength={30} value={name}
        title="Lowercase letters, digits and dashes, starting with a letter"
        onInput={(e) => setName(e.currentTarget.value)} />
      <button type="submit" disabled={busy}>{busy ? 'Creating…' : 'Create app'}</button>
      <ErrorNote error={error} />
    </form>
  );
}

/**
 * Rows shown at once: each shows its instances by a small request of its own, so a platform with a
 * thousand apps renders one page of them (bench/console.ts), not a thousand requests.
 */
export const APPS_PAGE = 50;

function Pager({ page, pages, onPage }: { page: number; pages: number; onPage: (page: number) => void }) {
  if (pages <= 1) return null;
  return (
    <nav class="inline-form" aria-label="Pages of apps">
      <button type="button" disabled={page === 0} onClick={() => onPage(page - 1)}>Previous</button>
      <span>Page {page + 1} of {pages}</span>
      <button type="button" disabled={page >= pages - 1} onClick={() => onPage(page + 1)}>Next</button>
    </nav>
  );
}

export function AppsList() {
  const apps = useResource(() => api.apps.list(), 'apps', () => true);
  const info = useResource(() => api.info(), 'info', () => false);
  const rates = useRequestRates();
  const [team, setTeam] = useState('');
  const [search, setSearch] = useState('');
  const [page, setPage] = useState(0);
  const teams = useMemo(() => [...new Set((apps.data ?? []).map(teamOf).filter((t): t is string => t !== null))].sort(), [apps.data]);
  const matching = (apps.data ?? []).filter((app) => (team === '' || teamOf(app) === team) && (search === '' || app.name.includes(search.trim().toLowerCase())));
  const pages = Math.max(1, Math.ceil(matching.length / APPS_PAGE));
  const current = Math.min(page, pages - 1);
  const shown = matching.slice(current * APPS_PAGE, (current + 1) * APPS_PAGE);

  return (
    <main id="main">
      <div class="page-head">
        <PageTitle title="Apps">Apps</PageTitle>
        <CreateApp onCreated={(app) => navigate(paths.app(app.name))} />
      </div>
      {teams.length > 0 && (
        <p>
          <label for="team-filter">Team </label>
          <select id="team-filter" value={team} onChange={(e) => { setTeam(e.currentTarget.value); setPage(0); }}>
            <option value="">All teams</option>
            {teams.map((t) => <option key={t} value={t}>{t}</option>)}
          </select>
        </p>
      )}
      {(apps.data?.length ?? 0) > APPS_PAGE && (
        <p>
          <label for="app-search">Find an app </label>
          <input id="app-search" type="search" value={search} autocomplete="off" spellcheck={false}
            onInput={(e) => { setSearch(e.currentTarget.value); setPage(0); }} />
          <span class="muted"> {matching.length} of {apps.data!.length}</span>
        </p>
      )}
      <ErrorNote error={apps.error} />
      {!apps.data && !apps.error && <Loading what="apps" />}
      {apps.data && apps.data.length === 0 && <EmptyState info={info.data} name="my-app" />}
      {shown.length > 0 && (
        <div class="table-wrap">
          <table>
            <caption class="visually-hidden">Apps{team ? ` of team ${team}` : ''}</caption>
            <thead><tr><th scope="col">Name</th><th scope="col">Team</th><th scope="col">Release</th><th scope="col">Instances up</th><th scope="col">Requests (1 h)</th><th scope="col">URL</th></tr></thead>
            <tbody>
              {shown.map((app) => (
                <tr key={app.name}>
                  <th scope="row"><a href={paths.app(app.name)}>{app.name}</a></th>
                  <td>{teamOf(app) ?? <span class="muted">–</span>}</td>
                  <td>{app.currentRelease === null ? <span class="muted">none yet</span> : `v${app.currentRelease}`}</td>
                  <td><Instances app={app.name} /></td>
                  <td><RequestRate app={app.name} points={rates.get(app.name)} /></td>
                  <td><a href={app.url} rel="noreferrer" target="_blank">{app.url.replace(/^https?:\/\//, '')}</a></td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <Pager page={current} pages={pages} onPage={setPage} />
    </main>
  );
}
