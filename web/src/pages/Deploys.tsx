/**
 * The live deploy timeline: each push (from anyone's `git push`), image deploy, config change and
 * rollback with its phases as they happen. A running phase's elapsed time ticks in the page (no
 * request); the list reloads when the live stream says the app changed; the build's log streams
 * while it builds, and a finished build's output is read when asked for (for those who may read
 * logs). Failures show in place with their reason and lines.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { deploysApi, followBuildLog, type Deploy, type Phase } from '../api/deploys';
import { live, type LiveState } from '../live';
import { useResource } from '../resource';
import { paths } from '../router';
import { Badge, ErrorNote, Loading, PageTitle, Time } from '../ui/common';
import { useAction } from '../ui/action';
import { AppNav } from './AppNav';
import '../styles/deploys.css';

const LABELS: Record<Phase['name'], string> = {
  receive: 'Receive', build: 'Build', push: 'Image push', 'release-phase': 'Release phase',
  start: 'Instance start', checks: 'Health checks', routed: 'Routed', drained: 'Old instances drained',
};

const KINDS: Record<Deploy['kind'], string> = { push: 'git push', image: 'image deploy', config: 'config change', rollback: 'rollback' };

export function duration(ms: number | null): string {
  if (ms === null) return '';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)} min ${s % 60} s`;
}

/** Re-renders every second while something runs, so elapsed times tick (no request is made). */
function useTick(active: boolean): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    if (!active) return undefined;
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [active]);
  return now;
}

function useLiveState(): LiveState {
  const [state, setState] = useState<LiveState>(live.current());
  useEffect(() => live.onState(setState), []);
  return state;
}

function outcomeText(phase: Phase, ended: boolean): string {
  switch (phase.outcome) {
    case 'ok': return 'done';
    case 'failed': return 'failed';
    case 'running': return 'running';
    case 'skipped': return 'skipped';
    default: return ended ? 'not reached' : 'waiting';
  }
}

function PhaseRow({ phase, ended, now }: { phase: Phase; ended: boolean; now: number }) {
  const elapsed = phase.outcome === 'running' && phase.startedAt ? now - new Date(phase.startedAt).getTime() : null;
  const time = phase.durationMs !== null ? duration(phase.durationMs) : elapsed !== null ? duration(Math.max(0, elapsed)) : '';
  return (
    <li class={`phase phase-${phase.outcome}`} data-phase={phase.name} data-outcome={phase.outcome}>
      <span class="phase-mark" aria-hidden="true" />
      <span class="phase-name">{LABELS[phase.name]}</span>
      <span class="phase-outcome">{outcomeText(phase, ended)}</span>
      <span class="phase-time">{time}{elapsed !== null && <span class="visually-hidden"> so far</span>}</span>
      {phase.detail && <span class="phase-detail muted">{phase.detail}</span>}
      {phase.outcome === 'failed' && (
        <div class="phase-failure" role="group" aria-label={`${LABELS[phase.name]} failure`}>
          <p class="bad">{phase.reason ?? 'It failed without a reason recorded.'}</p>
          {phase.lines === null
            ? <p class="muted small">The log lines that explain it need the operate permission on this app.</p>
            : phase.lines.length > 0 && <pre class="failure-lines" tabIndex={0}><code>{phase.lines.join('\n')}</code></pre>}
        </div>
      )}
    </li>
  );
}

/** A finished build's whole output, read when asked for (one request), for any deploy that built. */
function FinishedBuildLog({ app, build }: { app: string; build: string }) {
  const [output, setOutput] = useState<string | null>(null);
  const { busy, error, run } = useAction();
  if (output === null) {
    return (
      <div class="build-log">
        <button type="button" disabled={busy} onClick={() => void run(async () => setOutput((await deploysApi.buildOutput(app, build)).output))}>
          {busy ? 'Loading the build output…' : 'Show the build output'}<span class="visually-hidden"> of build {build}</span>
        </button>
        <ErrorNote error={error} />
      </div>
    );
  }
  return (
    <div class="build-log">
      <h4>Build output</h4>
      {output.trim() === '' ? <p class="muted small">The build printed nothing.</p> : <pre tabIndex={0}><code>{output.replace(/\n$/, '')}</code></pre>}
      <button type="button" onClick={() => setOutput(null)}>Hide the build output</button>
    </div>
  );
}

/** The build's output while it runs, followed over one streaming request; once it ended, on demand. */
function BuildLog({ app, deploy }: { app: string; deploy: Deploy }) {
  const build = deploy.phases.find((p) => p.name === 'build');
  const running = build?.outcome === 'running';
  const mayRead = build ? build.lines !== null : false;
  const [lines, setLines] = useState<string[]>([]);
  const box = useRef<HTMLPreElement>(null);
  useEffect(() => {
    if (!running || !mayRead) return undefined;
    const stop = new AbortController();
    setLines([]);
    followBuildLog(app, deploy.startedAt, (line) => setLines((all) => [...all.slice(-499), line]), stop.signal).catch(() => { /* ended or aborted */ });
    return () => stop.abort();
  }, [app, deploy.id, running, mayRead]);
  useEffect(() => { if (box.current) box.current.scrollTop = box.current.scrollHeight; }, [lines]);
  if (!build || build.outcome === 'skipped' || build.outcome === 'pending') return null;
  if (!mayRead) return running ? <p class="muted small">The build log streams here for those who may read the app's logs (operate).</p> : null;
  // Ended, and not watched here while it ran (or reloaded since): read when asked.
  if (!running && lines.length === 0) return deploy.buildId ? <FinishedBuildLog app={app} build={deploy.buildId} /> : null;
  if (lines.length === 0) return <p class="muted small" role="status">Waiting for the build's output…</p>;
  return (
    <div class="build-log">
      <h4>Build output</h4>
      <pre ref={box} tabIndex={0}><code>{lines.join('\n')}</code></pre>
    </div>
  );
}

/** An earlier deploy's build output, on demand, for those who may read logs. */
function OlderBuildLog({ app, deploy }: { app: string; deploy: Deploy }) {
  const build = deploy.phases.find((p) => p.name === 'build');
  if (!deploy.buildId || !build || build.lines === null || build.outcome === 'skipped' || build.outcome === 'pending' || build.outcome === 'running') return null;
  return <FinishedBuildLog app={app} build={deploy.buildId} />;
}

function statusTone(status: Deploy['status']): 'ok' | 'warn' | 'bad' {
  return status === 'succeeded' ? 'ok' : status === 'failed' ? 'bad' : 'warn';
}

function DeployCard({ app, deploy, now, latest }: { app: string; deploy: Deploy; now: number; latest: boolean }) {
  const ended = deploy.status !== 'running';
  const total = deploy.durationMs ?? (ended ? null : now - new Date(deploy.startedAt).getTime());
  const headingId = `deploy-${deploy.id}`;
  return (
    <article class={`card deploy deploy-${deploy.status}`} aria-labelledby={headingId} data-deploy={deploy.id} data-status={deploy.status}>
      <header class="deploy-head">
        <h3 id={headingId}>
          {deploy.release !== null ? `v${deploy.release}` : ended ? 'No release' : 'New release'} · {KINDS[deploy.kind]}
          {deploy.commit && <> <code>{deploy.commit.slice(0, 7)}</code></>}
        </h3>
        <Badge tone={statusTone(deploy.status)}>{deploy.status === 'running' ? 'in progress' : deploy.status}</Badge>
        <span class="muted">by {deploy.createdBy ?? 'Slipway'} · <Time iso={deploy.startedAt} />{total !== null && <> · {duration(Math.max(0, total))}</>}</span>
      </header>
      {deploy.reason && <p class="bad deploy-reason">{deploy.reason}</p>}
      <ol class="phases" aria-label={`Phases of ${deploy.release !== null ? `v${deploy.release}` : 'this deploy'}`}>
        {deploy.phases.map((phase) => <PhaseRow key={phase.name} phase={phase} ended={ended} now={now} />)}
      </ol>
      {latest ? <BuildLog app={app} deploy={deploy} /> : <OlderBuildLog app={app} deploy={deploy} />}
    </article>
  );
}

export function Deploys({ app }: { app: string }) {
  const deploys = useResource(() => deploysApi.list(app), `deploys:${app}`, (c) => c.app === app);
  const state = useLiveState();
  const list = deploys.data ?? [];
  const running = list.some((d) => d.status === 'running' || d.phases.some((p) => p.outcome === 'running'));
  const now = useTick(running);
  const [latest, ...older] = list;
  return (
    <main id="main">
      <AppNav app={app} current="deploys" />
      <PageTitle title={`Deploys · ${app}`}>Deploys</PageTitle>
      <p class={`live-state live-${state}`} role="status">
        {state === 'live' ? 'Live: a push appears here as it happens.' : state === 'down' ? 'Live updates are down: reconnecting. What is shown may be behind.' : 'Connecting to live updates…'}
      </p>
      <ErrorNote error={deploys.error} />
      {!deploys.data && !deploys.error && <Loading what="the deploys" />}
      {deploys.data && list.length === 0 && (
        <section class="card empty">
          <h2>No deploys yet</h2>
          <p>Push code to deploy <strong>{app}</strong>; the push appears here phase by phase. See the <a href={paths.app(app)}>overview</a> for the <code>git remote</code> line.</p>
        </section>
      )}
      {latest && (
        <section aria-labelledby="latest-deploy">
          <h2 id="latest-deploy">{latest.status === 'running' ? 'In progress' : 'Latest deploy'}</h2>
          <DeployCard app={app} deploy={latest} now={now} latest />
        </section>
      )}
      {older.length > 0 && (
        <section aria-labelledby="older-deploys">
          <h2 id="older-deploys">Earlier deploys</h2>
          {older.map((d) => <DeployCard key={d.id} app={app} deploy={d} now={now} latest={false} />)}
        </section>
      )}
    </main>
  );
}
