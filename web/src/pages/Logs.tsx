/**
 * Live logs: the last lines, then new ones as they come (api/logs.ts streams and resumes), filtered
 * by source and process, coloured by source, pausable, and never more than MAX_SHOWN lines in the
 * page. Reading logs needs `operate`; without it the page says so.
 */
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { api, type ApiError } from '../api/client';
import { followLogs, LOG_SOURCES, type LogLine, type LogSource, type StreamState } from '../api/logs';
import { useResource } from '../resource';
import { ErrorNote, PageTitle } from '../ui/common';
import { AppNav } from './AppNav';
import '../styles/logs.css';

/** Lines kept in the page; older ones drop off the top (the CLI and the API keep the history). */
export const MAX_SHOWN = 2_000;
const HISTORY_LINES = 200;

function keepLast<T>(items: T[], max: number): T[] {
  return items.length > max ? items.slice(items.length - max) : items;
}

/** Each process type of the formation and its instances (web, web.1, web.2…). */
function ProcessOptions({ app }: { app: string }) {
  const ps = useResource(() => api.apps.ps(app), `ps:${app}`, (c) => c.app === app);
  const formation = [...(ps.data?.formation ?? [])].sort((a, b) => a.type.localeCompare(b.type));
  return (
    <>
      {formation.map((f) => <option key={f.type} value={f.type}>{f.type}</option>)}
      {formation.flatMap((f) => Array.from({ length: Math.min(f.quantity, 20) }, (_, i) => `${f.type}.${i + 1}`))
        .map((name) => <option key={name} value={name}>{name}</option>)}
    </>
  );
}

function stateText(state: StreamState, paused: boolean): string {
  if (paused) return 'Paused: new lines are kept and shown when you resume.';
  if (state === 'live') return 'Following live.';
  if (state === 'connecting') return 'Connecting…';
  return 'The log stream is interrupted; reconnecting. The lines already shown stay.';
}

export function Logs({ app }: { app: string }) {
  const [source, setSource] = useState<LogSource | ''>('');
  const [ps, setPs] = useState('');
  const [lines, setLines] = useState<LogLine[]>([]);
  const [held, setHeld] = useState<LogLine[]>([]);
  const [paused, setPaused] = useState(false);
  const [state, setState] = useState<StreamState>('connecting');
  const [refusal, setRefusal] = useState<ApiError | null>(null);
  const pausedRef = useRef(paused);
  pausedRef.current = paused;
  const box = useRef<HTMLDivElement>(null);
  const stickToEnd = useRef(true);

  useEffect(() => {
    setLines([]);
    setHeld([]);
    setRefusal(null);
    const stop = followLogs(app, { source: source || undefined, ps: ps || undefined }, HISTORY_LINES, {
      onLines: (fresh) => {
        if (pausedRef.current) setHeld((h) => keepLast([...h, ...fresh], MAX_SHOWN));
        else setLines((l) => keepLast([...l, ...fresh], MAX_SHOWN));
      },
      onState: (next, error) => {
        setState(next);
        if (error && error.status >= 400 && error.status < 500) setRefusal(error);
      },
    });
    return stop;
  }, [app, source, ps]);

  useLayoutEffect(() => {
    const el = box.current;
    if (el && stickToEnd.current) el.scrollTop = el.scrollHeight;
  }, [lines]);

  const resume = () => {
    setLines((l) => keepLast([...l, ...held], MAX_SHOWN));
    setHeld([]);
    setPaused(false);
  };

  const noOperate = refusal !== null && refusal.status === 403;
  return (
    <main id="main">
      <AppNav app={app} current="logs" />
      <PageTitle title={`Logs · ${app}`}>Logs</PageTitle>
      {noOperate ? (
        <div class="card" role="alert">
          <h2>You cannot read this app's logs</h2>
          <p>Reading logs needs the <strong>operate</strong> permission on <strong>{app}</strong>. Ask one of the app's admins to give it to you (<code>slipway access:update</code>).</p>
        </div>
      ) : refusal ? <ErrorNote error={refusal} /> : (
        <>
          <form class="fields logs-filters" onSubmit={(e) => e.preventDefault()}>
            <div>
              <label for="log-source">Source</label>
              <select id="log-source" value={source} onChange={(e) => setSource(e.currentTarget.value as LogSource | '')}>
                <option value="">All sources</option>
                {LOG_SOURCES.map((s) => <option key={s} value={s}>{s}</option>)}
              </select>
            </div>
            <div>
              <label for="log-ps">Process</label>
              <select id="log-ps" value={ps} onChange={(e) => setPs(e.currentTarget.value)}>
                <option value="">All processes</option>
                <ProcessOptions app={app} />
              </select>
            </div>
            {paused
              ? <button type="button" class="primary" onClick={resume}>Resume{held.length > 0 ? ` (${held.length} new)` : ''}</button>
              : <button type="button" onClick={() => setPaused(true)}>Pause</button>}
            <button type="button" onClick={() => { setLines([]); setHeld([]); }}>Clear</button>
          </form>
          <p class={`logs-state logs-state-${paused ? 'paused' : state}`} role="status">{stateText(state, paused)}</p>
          <div class="log-box" ref={box} tabIndex={0} role="log" aria-label={`Log lines of ${app}`} aria-live="off"
            onScroll={(e) => { const el = e.currentTarget; stickToEnd.current = el.scrollHeight - el.scrollTop - el.clientHeight < 24; }}>
            {lines.length === 0 && <p class="muted">No log lines yet{source || ps ? ' for this filter' : ''}. Lines appear here as the app, the router, builds and Slipway write them.</p>}
            {lines.map((line) => (
              <div key={line.seq} class={`log-line log-${line.source || 'other'}`}>
                <span class="log-time">{line.time.slice(0, 23).replace('T', ' ')}</span>{' '}
                <span class="log-tag">{line.source}[{line.process}]:</span>{' '}
                <span class="log-text">{line.text}</span>
              </div>
            ))}
          </div>
          <p class="muted small">The page keeps the last {MAX_SHOWN.toLocaleString('en')} lines; <code>slipway logs -a {app} -n 10000</code> reads further back.</p>
        </>
      )}
    </main>
  );
}
