import type { ChangeEventData } from './api/types';

/**
 * The live stream (GET /api/v1/events, Server-Sent Events). The browser's EventSource reconnects
 * by itself and sends Last-Event-ID, so the server replays what was missed; when it cannot, it
 * sends `resync`. Either way, on reconnect every page reloads what it shows (catch-up). While the
 * stream is down, `state` says so (the banner) and pages keep working on plain requests.
 */
export type LiveState = 'connecting' | 'live' | 'down';

export type Change = Pick<ChangeEventData, 'kind' | 'app'>;

type ChangeHandler = (change: Change | 'resync') => void;
type StateHandler = (state: LiveState) => void;

/** When the server closed the stream for good (not 200), a new one is tried this often: never faster than 10 s. */
const RETRY_CLOSED_MS = 10_000;

export class LiveEvents {
  private source: EventSource | null = null;
  private state: LiveState = 'connecting';
  private wasDown = false;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly changeHandlers = new Set<ChangeHandler>();
  private readonly stateHandlers = new Set<StateHandler>();

  constructor(private readonly url = '/api/v1/events') {}

  start(): void {
    if (this.source) return;
    const source = new EventSource(this.url);
    this.source = source;
    source.addEventListener('open', () => {
      this.setState('live');
      // Back after a drop: whatever happened meanwhile is caught up by reloading the views.
      if (this.wasDown) { this.wasDown = false; this.emit('resync'); }
    });
    source.addEventListener('error', () => {
      this.wasDown = true;
      this.setState('down');
      if (source.readyState === EventSource.CLOSED) {
        this.source = null;
        this.retryTimer = setTimeout(() => { this.retryTimer = null; this.start(); }, RETRY_CLOSED_MS);
      }
    });
    source.addEventListener('change', (event) => {
      try { this.emit(JSON.parse((event as MessageEvent<string>).data) as Change); } catch { /* a malformed event is ignored */ }
    });
    source.addEventListener('resync', () => this.emit('resync'));
  }

  stop(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.source?.close();
    this.source = null;
    this.wasDown = false;
    this.setState('connecting');
  }

  current(): LiveState {
    return this.state;
  }

  onChange(handler: ChangeHandler): () => void {
    this.changeHandlers.add(handler);
    return () => { this.changeHandlers.delete(handler); };
  }

  onState(handler: StateHandler): () => void {
    this.stateHandlers.add(handler);
    return () => { this.stateHandlers.delete(handler); };
  }

  private setState(state: LiveState): void {
    if (state === this.state) return;
    this.state = state;
    for (const handler of this.stateHandlers) handler(state);
  }

  private emit(change: Change | 'resync'): void {
    for (const handler of this.changeHandlers) handler(change);
  }
}

export const live = new LiveEvents();
