import { useState } from 'preact/hooks';
import { api } from '../api/client';
import type { AppInfo, Release } from '../api/types';
import { can } from '../permissions';
import { useResource } from '../resource';
import { paths } from '../router';
import { Badge, ErrorNote, Loading, PageTitle, Time, upCount } from '../ui/common';
import { AppNav } from './AppNav';
import { useAction } from '../ui/action';

function releaseTone(status: string): 'ok' | 'warn' | 'bad' | 'plain' {
  if (status === 'succeeded') return 'ok';
  if (status === 'failed') return 'bad';
  if (status === 'pending') return 'warn';
  return 'plain';
}

function Rollback({ app, release, onDone }: { app: string; release: Release; onDone: (message: string) => void }) {
  const [confirming, setConfirming] = useState(false);
  const { busy, error, run } = useAction();
  if (release.current || release.status !== 'succeeded' || release.buildId === null) return null;
  const go = () => {
    void run(async () => {
      const made = await api.apps.rollback(app, release.version);
      setConfirming(false);
      onDone(`Rolled back to v${release.version}: release v${made.version} is live.`);
    });
  };
  if (!confirming) return <button type="button" onClick={() => setConfirming(true)}>Roll back to v{release.version}</button>;
  return (
    <span class="confirm">
      <button type="button" class="danger" disabled={busy} onClick={go}>{busy ? 'Rolling back…' : `Confirm roll back to v${release.version}`}</button>
      <button type="button" disabled={busy} onClick={() => setConfirming(false)}>Cancel</button>
      <ErrorNote error={error} />
    </span>
  );
}

function NothingDeployed({ info }: { info: AppInfo }) {
  return (
    <section class="card empty" aria-labelledby="first-deploy">
      <h2 id="first-deploy">Nothing deployed yet</h2>
      <p>Push code to deploy <strong>{info.name}</strong>:</p>
      <pre><code>{`git remote add slipway ${info.gitUrl}\ngit push slipway main`}</code></pre>
    </section>
  );
}

export function AppOverview({ app }: { app: string }) {
  const info = useResource(() => api.apps.get(app), `app:${app}`, (c) => c.app === app);
  const releases = useResource(() => api.apps.releases(app), `releases:${app}`, (c) => c.app === app);
  const domains = useResource(() => api.apps.domains(app), `domains:${app}`, (c) => c.app === app);
  const [notice, setNotice] = useState<string | null>(null);

  const data = info.data;
  // Rolling back is a deploy: offered only to those the policy lets deploy (the API still decides).
  const mayDeploy = can(data, 'deploy');
  const counts = data ? upCount(data.instances) : null;
  return (
    <main id="main">
      <AppNav app={app} current="overview" />
      <PageTitle title={app}>{app}</PageTitle>
      <ErrorNote error={info.error} />
      {notice && <p class="notice" role="status">{notice}</p>}
      {!data && !info.error && <Loading what="the app" />}
      {data && (
        <>
          <dl class="facts">
            <div><dt>URL</dt><dd><a href={data.url} rel="noreferrer" target="_blank">{data.url}</a></dd></div>
            <div><dt>Release</dt><dd>{data.release ? <>v{data.release.version} <Badge tone={releaseTone(data.release.status)}>{data.release.status}</Badge> {data.release.description} · <a href={paths.appTab(app, 'deploys')}>its deploy, phase by phase</a></> : <span class="muted">none yet</span>}</dd></div>
            <div><dt>Instances up</dt><dd>{counts ? `${counts.up} of ${counts.total}` : '–'}</dd></div>
            <div><dt>Git</dt><dd><code>{data.gitUrl}</code></dd></div>
          </dl>
          {data.release === null && <NothingDeployed info={data} />}

          <section aria-labelledby="formation">
            <h2 id="formation">Formation</h2>
            <div class="table-wrap">
              <table>
                <thead><tr><th scope="col">Process</th><th scope="col">Quantity</th><th scope="col">Memory</th><th scope="col">CPU</th><th scope="col">Up</th></tr></thead>
                <tbody>
                  {data.formation.map((entry) => {
                    const mine = data.instances.filter((i) => i.type === entry.type);
                    const c = upCount(mine);
                    return (
                      <tr key={entry.type}>
                        <th scope="row">{entry.type}</th><td>{entry.quantity}</td><td>{entry.memoryMb} MB</td><td>{entry.cpu}</td>
                        <td class={c.up === entry.quantity ? '' : 'bad'}>{c.up}/{entry.quantity}</td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            </div>
          </section>

          <section aria-labelledby="instances">
            <h2 id="instances">Instances</h2>
            {data.instances.length === 0 ? <p class="muted">No instances run.</p> : (
              <div class="table-wrap">
                <table>
                  <thead><tr><th scope="col">Instance</th><th scope="col">State</th><th scope="col">Release</th><th scope="col">Started</th><th scope="col">Restarts</th></tr></thead>
                  <tbody>
                    {data.instances.map((i) => (
                      <tr key={i.id}>
                        <th scope="row"><code>{i.id}</code></th>
                        <td><Badge tone={i.state === 'running' ? 'ok' : i.state === 'starting' ? 'warn' : 'bad'}>{i.state}</Badge></td>
                        <td>v{i.release}</td><td><Time iso={i.startedAt} /></td><td>{i.restartCount}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </section>
        </>
      )}

      <section aria-labelledby="domains">
        <h2 id="domains">Domains</h2>
        <ErrorNote error={domains.error} />
        {domains.data && (domains.data.length === 0 ? <p class="muted">No custom domains.</p> : (
          <ul class="plain">
            {domains.data.map((d) => (
              <li key={d.hostname}><code>{d.hostname}</code> <span class="muted">{d.kind}</span>{d.cert ? <> · <Badge tone="ok">TLS until {new Date(d.cert.expiresAt).toLocaleDateString()}</Badge></> : null}</li>
            ))}
          </ul>
        ))}
      </section>

      <section aria-labelledby="releases">
        <h2 id="releases">Recent releases</h2>
        <ErrorNote error={releases.error} />
        {releases.data && (releases.data.length === 0 ? <p class="muted">No releases yet: the first push makes v1.</p> : (
          <div class="table-wrap">
            <table>
              <thead><tr><th scope="col">Version</th><th scope="col">Description</th><th scope="col">Status</th><th scope="col">When</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
              <tbody>
                {releases.data.slice(0, 15).map((r) => (
                  <tr key={r.version}>
                    <th scope="row">v{r.version}{r.current ? <> <Badge tone="plain">current</Badge></> : null}</th>
                    <td>{r.description}{r.failureReason ? <div class="bad small">{r.failureReason}</div> : null}</td>
                    <td><Badge tone={releaseTone(r.status)}>{r.status}</Badge></td>
                    <td><Time iso={r.createdAt} /></td>
                    <td>{mayDeploy && <Rollback app={app} release={r} onDone={(m) => { setNotice(m); info.reload(); releases.reload(); }} />}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ))}
      </section>
    </main>
  );
}

