/**
 * What changed, app by app, for the console's live pages (api/events.ts, docs/console.md "Live
 * updates"). Each event has an id `<epoch>.<seq>`: the epoch is this process's, so an id from
 * before a restart (or from another API replica) is recognised and answered with a resync.
 * The last `capacity` events are kept so a client that reconnects with Last-Event-ID catches up.
 */
import crypto from 'node:crypto';

export type ChangeKind = 'app' | 'apps';

export interface ChangeEvent {
  id: string;
  /** `app`: something of one app changed (release, config, formation, instances, domains); `apps`: the list. */
  kind: ChangeKind;
  app: string | null;
  at: string;
}

export type ChangeListener = (event: ChangeEvent) => void;

/** What a reconnecting client gets: the events it missed, or `resync` when they are no longer known. */
export type Replay = { events: ChangeEvent[] } | { resync: true };

export class ChangeFeed {
  private readonly epoch = crypto.randomBytes(4).toString('hex');
  private seq = 0;
  private readonly recent: ChangeEvent[] = [];
  private readonly listeners = new Map<ChangeListener, () => void>();

  constructor(private readonly capacity = 1000, private readonly now: () => Date = () => new Date()) {}

  publish(kind: ChangeKind, app: string | null): ChangeEvent {
    this.seq += 1;
    const event: ChangeEvent = { id: `${this.epoch}.${this.seq}`, kind, app, at: this.now().toISOString() };
    this.recent.push(event);
    if (this.recent.length > this.capacity) this.recent.shift();
    for (const listener of this.listeners.keys()) listener(event);
    return event;
  }

  /** `onClose` runs when the feed closes (the API stops), so open streams end and the server can close. */
  subscribe(listener: ChangeListener, onClose: () => void = () => {}): () => void {
    this.listeners.set(listener, onClose);
    return () => { this.listeners.delete(listener); };
  }

  close(): void {
    const closers = [...this.listeners.values()];
    this.listeners.clear();
    for (const onClose of closers) onClose();
  }

  /** The id a new stream starts after (so a client with no Last-Event-ID misses nothing from now on). */
  lastId(): string {
    return `${this.epoch}.${this.seq}`;
  }

  /** The events after `lastEventId`, or resync when that id is from another epoch or fell out of the buffer. */
  since(lastEventId: string): Replay {
    const match = /^([0-9a-f]{8})\.(\d{1,15})$/.exec(lastEventId);
    if (!match || match[1] !== this.epoch) return { resync: true };
    const after = Number(match[2]);
    if (after > this.seq) return { resync: true };
    if (after === this.seq) return { events: [] };
    const oldest = this.recent[0];
    const oldestSeq = oldest ? Number(oldest.id.split('.')[1]) : this.seq + 1;
    if (after + 1 < oldestSeq) return { resync: true };
    return { events: this.recent.filter((e) => Number(e.id.split('.')[1]) > after) };
  }
}
