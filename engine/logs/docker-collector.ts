/**
 * Follows the output of every container of this installation through Docker's API, so lines
 * reach the app's stream whether or not the instance lives on: Docker keeps what a process wrote
 * (json-file), and the collector reads it with timestamps from the time of the last line kept.
 * When the platform restarts, it attaches again from there: nothing is lost, nothing read twice.
 * Docker's events become the `slipway` lines of instance state (started, crashed, stopped).
 */
import type { Readable } from 'node:stream';
import type Docker from 'dockerode';
import type { Logger } from '../../lib/log';
import { DockerLogParser, dockerTimeMicros, dockerTimeNanos, sinceParameter, type TimedLine } from './docker-frames';
import type { LogHub } from './log-hub';
import type { NewLogLine } from './log-line';

const LABEL = { app: 'slipway.app', platform: 'slipway.platform', process: 'slipway.process', oneOff: 'slipway.one-off', release: 'slipway.release' } as const;
/** Before following Docker's events again after they broke off. */
const EVENTS_RETRY_MS = 1000;

interface Followed {
  readonly app: string;
  readonly process: string;
  stream: Readable | null;
  lastNanos: bigint;
}

interface DockerEvent {
  Action?: string;
  status?: string;
  id?: string;
  time?: number;
  Actor?: { ID?: string; Attributes?: Record<string, string> };
}

export class DockerLogCollector {
  private readonly followed = new Map<string, Followed>();
  /** Instance id (`slipway.instance`) → process name (`web.1`), for router lines. */
  private readonly dynos = new Map<string, string>();
  /** Containers the platform asked to stop (Docker's `kill` before `die`): their exit is no crash. */
  private readonly stopping = new Set<string>();
  private events: Readable | null = null;
  private closed = false;
  private retry: NodeJS.Timeout | null = null;
  private lastEventTime = 0;

  constructor(
    private readonly docker: Docker,
    private readonly platformId: string,
    private readonly hub: LogHub,
    private readonly cursors: { cursors(app: string): Promise<Readonly<Record<string, string>>>; forgetCursor(app: string, container: string): Promise<void> },
    private readonly logger: Logger,
  ) {}

  /** Follows every container there is now (running or not: what they wrote last is read too) and every one started later. */
  async start(): Promise<void> {
    await this.followEvents();
    const containers = await this.docker.listContainers({ all: true, filters: { label: [`${LABEL.platform}=${this.platformId}`] } });
    await Promise.all(containers.map((c) => this.attach(c.Id)));
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.retry) clearTimeout(this.retry);
    this.events?.destroy();
    for (const followed of this.followed.values()) followed.stream?.destroy();
    this.followed.clear();
  }

  /** `web.1` for an instance id; the process type from the id (`app.web.1a2b`) when it was never seen. */
  dynoOf(instanceId: string): string {
    return this.dynos.get(instanceId) ?? instanceId.split('.')[1] ?? '';
  }

  /** Follows one container's output from where the last reader stopped. */
  async attach(id: string): Promise<void> {
    if (this.closed || this.followed.has(id)) return;
    const container = this.docker.getContainer(id);
    let info: Docker.ContainerInspectInfo;
    try {
      info = await container.inspect();
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 404) return;
      throw error;
    }
    const labels = info.Config.Labels ?? {};
    const app = labels[LABEL.app];
    if (!app || labels[LABEL.platform] !== this.platformId || this.followed.has(id)) return;
    const followed: Followed = { app, process: processName(info), stream: null, lastNanos: -1n };
    const instance = labels['slipway.instance'];
    if (instance) this.dynos.set(instance, followed.process);
    this.followed.set(id, followed);
    try {
      const cursor = (await this.cursors.cursors(app))[id];
      if (cursor !== undefined) followed.lastNanos = dockerTimeNanos(cursor);
      const stream = await container.logs({
        follow: true, stdout: true, stderr: true, timestamps: true,
        // Docker takes a fractional `since`; its type says number.
        since: (cursor === undefined ? 0 : sinceParameter(cursor)) as unknown as number,
      }) as unknown as Readable;
      followed.stream = stream;
      this.read(id, followed, stream, new DockerLogParser(info.Config.Tty === true));
    } catch (error) {
      this.followed.delete(id);
      if ((error as { statusCode?: number }).statusCode === 404) return;
      this.logger.warn({ err: error, app, container: id }, 'could not follow a container\'s output');
    }
  }

  private read(id: string, followed: Followed, stream: Readable, parser: DockerLogParser): void {
    let writing: Promise<void> = Promise.resolve();
    const keep = (lines: TimedLine[]): void => {
      // Lines at or before the cursor were kept by an earlier reader (Docker's `since` is inclusive).
      const fresh = lines.filter((line) => dockerTimeNanos(line.time) > followed.lastNanos);
      if (fresh.length === 0) return;
      followed.lastNanos = dockerTimeNanos(fresh[fresh.length - 1]!.time);
      const entries: NewLogLine[] = fresh.map((line) => ({ time: dockerTimeMicros(line.time), source: 'app', process: followed.process, text: line.text }));
      const cursor = { container: id, time: fresh[fresh.length - 1]!.time };
      // Back-pressure: Docker's stream waits while the lines are taken in.
      stream.pause();
      writing = writing.then(() => this.hub.write(followed.app, entries, cursor)).then(
        () => { stream.resume(); },
        (error: unknown) => { stream.resume(); this.logger.error({ err: error, app: followed.app }, 'could not keep an instance\'s output'); },
      );
    };
    stream.on('data', (chunk: Buffer) => keep(parser.push(chunk)));
    stream.on('error', (error) => this.logger.debug({ err: error, container: id }, 'container output stream broke off'));
    stream.once('close', () => {
      void writing.then(async () => {
        if (this.closed) return;
        try {
          // Docker's follow can end before the process's last output is in (a last line without a
          // newline, written as it crashed): one plain read from the cursor takes what is left.
          const container = this.docker.getContainer(id);
          const rest = await container.logs({
            follow: false, stdout: true, stderr: true, timestamps: true,
            since: (followed.lastNanos < 0n ? 0 : sinceParameter(nanosToTime(followed.lastNanos))) as unknown as number,
          }) as unknown as Buffer;
          const tail = new DockerLogParser(parser.tty);
          keep([...tail.push(rest), ...tail.end()]);
          await writing;
          if (this.followed.get(id) === followed) this.followed.delete(id);
          // Restarted meanwhile (a crash under Docker's restart policy): follow it again from the cursor.
          const info = await container.inspect();
          if (info.State.Running || info.State.Restarting) await this.attach(id);
        } catch {
          // gone: its destroy event forgets the cursor
          if (this.followed.get(id) === followed) this.followed.delete(id);
        }
      });
    });
  }

  private async followEvents(): Promise<void> {
    if (this.closed) return;
    try {
      const stream = await this.docker.getEvents({
        ...(this.lastEventTime > 0 ? { since: this.lastEventTime } : {}),
        filters: { type: ['container'], label: [`${LABEL.platform}=${this.platformId}`], event: ['start', 'die', 'kill', 'oom', 'destroy', 'restart'] },
      }) as unknown as Readable;
      this.events = stream;
      let buffered = '';
      stream.on('data', (chunk: Buffer) => {
        buffered += chunk.toString('utf8');
        let newline = buffered.indexOf('\n');
        while (newline !== -1) {
          const raw = buffered.slice(0, newline);
          buffered = buffered.slice(newline + 1);
          newline = buffered.indexOf('\n');
          try {
            this.onEvent(JSON.parse(raw) as DockerEvent);
          } catch (error) {
            this.logger.warn({ err: error }, 'unreadable Docker event');
          }
        }
      });
      stream.on('error', () => undefined);
      stream.once('close', () => this.eventsLost());
    } catch (error) {
      this.logger.warn({ err: error }, 'could not follow Docker\'s events; trying again');
      this.eventsLost();
    }
  }

  private eventsLost(): void {
    if (this.closed) return;
    this.retry = setTimeout(() => { this.retry = null; void this.followEvents(); }, EVENTS_RETRY_MS);
  }

  private onEvent(event: DockerEvent): void {
    const action = event.Action ?? event.status ?? '';
    const id = event.Actor?.ID ?? event.id ?? '';
    const attributes = event.Actor?.Attributes ?? {};
    if (event.time) this.lastEventTime = event.time;
    const app = attributes[LABEL.app];
    if (!app || id === '') return;
    const process = this.followed.get(id)?.process ?? attributes[LABEL.oneOff] ?? attributes[LABEL.process] ?? 'app';
    const release = attributes[LABEL.release];
    switch (action) {
      case 'start':
        this.hub.emit(app, `Starting process${release ? ` of release v${release}` : ''}`, process);
        void this.attach(id);
        break;
      case 'kill':
        this.stopping.add(id);
        break;
      case 'oom':
        this.hub.emit(app, 'Error R15 (Memory quota vastly exceeded): the process was killed for using more than its memory limit', process);
        break;
      case 'die': {
        const status = attributes.exitCode ?? '?';
        const stopped = this.stopping.delete(id);
        const say = (name: string): void => {
          this.hub.emit(app, `Process exited with status ${status}`, name);
          this.hub.emit(app, stopped ? 'State changed from up to down' : 'State changed from up to crashed', name);
        };
        // A container that died before it was followed: its instance name (web.1) from its DYNO.
        if (this.followed.has(id)) say(process);
        else void this.docker.getContainer(id).inspect().then((info) => say(processName(info)), () => say(process));
        break;
      }
      case 'restart':
        this.hub.emit(app, 'Restarting', process);
        break;
      case 'destroy':
        this.stopping.delete(id);
        if (attributes['slipway.instance']) this.dynos.delete(attributes['slipway.instance']);
        void this.cursors.forgetCursor(app, id).catch(() => undefined);
        break;
      default:
        break;
    }
  }
}

/** A Docker time from nanoseconds since the epoch (for `since`). */
function nanosToTime(nanos: bigint): string {
  const seconds = nanos / 1_000_000_000n;
  const iso = new Date(Number(seconds) * 1000).toISOString().slice(0, 19);
  return `${iso}.${String(nanos % 1_000_000_000n).padStart(9, '0')}Z`;
}

/** `web.1` from the DYNO the deployer gave the instance, `run.4821` for a one-off, else the process type. */
function processName(info: Docker.ContainerInspectInfo): string {
  const labels = info.Config.Labels ?? {};
  const oneOff = labels[LABEL.oneOff];
  if (oneOff) return oneOff;
  const dyno = (info.Config.Env ?? []).find((entry) => entry.startsWith('DYNO='))?.slice(5);
  if (dyno && /^[A-Za-z0-9_-]{1,64}\.[0-9]{1,9}$/.test(dyno)) return dyno;
  return labels[LABEL.process] ?? 'app';
}
