/**
 * The audit log, live: the newest entries by a plain request, then every new one over Server-Sent
 * Events (GET /api/v1/audit/stream). The browser's EventSource reconnects by itself and sends
 * Last-Event-ID, so the server replays what was missed; on every (re)connect the newest page is read
 * again and merged by id as well, which closes the gap before the first event. While the stream is
 * down the feed says so and keeps what it has; "Show older" pages back with `before`.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { admin, type AuditEvent, type AuditFilter } from '../api/admin';
import { Badge, ErrorNote, Time } from '../ui/common';
import '../styles/admin.css';

type StreamState = 'connecting' | 'live' | 'down';
const KEEP = 500;

/** Newest first, one entry per id. */
export function mergeEntries(current: readonly AuditEvent[], incoming: readonly AuditEvent[]): AuditEvent[] {
  const byId = new Map<number, AuditEvent>();
  for (const entry of [...current, ...incoming]) byId.set(entry.id, entry);
  return [...byId.values()].sort((a, b) => b.id - a.id).slice(0, KEEP);
}

function describe(entry: AuditEvent): string {
  const parts = Object.entries(entry.detail).map(([key, value]) => `${key}: ${typeof value === 'string' ? value : JSON.stringify(value)}`);
  return parts.join(' · ');
}

function Entry({ entry }: { entry: AuditEvent }) {
  const tone = entry.result === 'ok' ? 'ok' : entry.result === 'refused' ? 'bad' : 'warn';
  const detail = describe(entry);
  return (
    <li>
      <span class="muted small"><Time iso={entry.time} /></span>
      <span class="what">
        <strong>{entry.user ?? 'Slipway'}</strong> <code>{entry.action}</code>
        {entry.app && <> on <a href={`/apps/${encodeURIComponent(entry.app)}`}>{entry.app}</a></>}
        {entry.team && <> <span class="muted">(team {entry.team})</span></>}
        {' '}<Badge tone={tone}>{entry.result}</Badge>
      </span>
      <span class="detail">
        via {entry.via}{entry.address ? ` from ${entry.address}` : ''}{detail ? ` · ${detail}` : ''}
      </span>
    </li>
  );
}

export function AuditFeed({ filter, label }: { filter: AuditFilter; label: string }) {
  const [entries, setEntries] = useState<AuditEvent[]>([]);
  const [older, setOlder] = useState<number | null>(null);
  const [loaded, setLoaded] = useState(false);
  const [state, setState] = useState<StreamState>('connecting');
  const [error, setError] = useState<unknown>(null);
  const key = JSON.stringify(filter);
  const generation = useRef(0);

  useEffect(() => {
    const mine = ++generation.current;
    setEntries([]);
    setOlder(null);
    setLoaded(false);
    setError(null);
    setState('connecting');
    const newest = () => admin.audit.page(filter).then((page) => {
      if (mine !== generation.current) return;
      setEntries((current) => mergeEntries(current, page.events));
      setOlder((current) => current ?? page.next);
      setLoaded(true);
      setError(null);
    }, (failure: unknown) => { if (mine === generation.current) { setError(failure); setLoaded(true); } });
    void newest();
    const source = new EventSource(admin.audit.streamUrl(filter));
    source.addEventListener('open', () => {
      setState('live');
      // Just subscribed, or back after a drop: what happened before the stream's first event
      // (which Last-Event-ID cannot name) is read again and merged.
      void newest();
    });
    source.addEventListener('error', () => setState('down'));
    source.addEventListener('audit', (event) => {
      try {
        const entry = JSON.parse((event as MessageEvent<string>).data) as AuditEvent;
        setEntries((current) => mergeEntries(current, [entry]));
      } catch { /* a malformed event is ignored */ }
    });
    return () => { generation.current++; source.close(); };
  }, [key]);

  const showOlder = async () => {
    if (older === null) return;
    try {
      const page = await admin.audit.page(filter, 50, older);
      setEntries((current) => [...current, ...page.events.filter((e) => !current.some((c) => c.id === e.id))]);
      setOlder(page.next);
    } catch (failure) {
      setError(failure);
    }
  };

  return (
    <section aria-labelledby="feed-title">
      <h2 id="feed-title">{label} <span class="live-state muted" role="status">
        {state === 'live' ? '· live' : state === 'down' ? '· live updates interrupted, reconnecting' : '· connecting…'}
      </span></h2>
      <ErrorNote error={error} />
      {!loaded && <p class="muted" role="status">Loading the activity…</p>}
      {loaded && entries.length === 0 && !error && <p class="muted">Nothing recorded yet. Changes appear here as they happen.</p>}
      <ul class="feed" aria-live="polite" aria-relevant="additions">
        {entries.map((entry) => <Entry key={entry.id} entry={entry} />)}
      </ul>
      {older !== null && <p><button type="button" onClick={showOlder}>Show older</button></p>}
    </section>
  );
}
