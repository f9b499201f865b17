/**
 * The deploy timeline (issue 14, docs/deploy-timeline.md): every push, image deploy, config change
 * and rollback is recorded as a *deploy* with its phases (receive, build, image push, release phase,
 * instance start, health checks, routed, old instances drained), each with its start, end, outcome
 * and, on failure, the reason and the last lines that explain it.
 *
 * This module is the domain half: the phase model, the pure rules that move a phase along, and the
 * recorder the deploy workflow calls. Writes go through a small port (TimelineStore; the knex store
 * is engine/store/deploys-repo.ts) and every change is announced (the console's change feed), so a
 * live view shows a phase while it runs. Recording never breaks a deploy: a failed write is logged.
 */
import type { Logger } from '../lib/log';
import type { Actor } from './model';

export const PHASES = ['receive', 'build', 'push', 'release-phase', 'start', 'checks', 'routed', 'drained'] as const;
export type PhaseName = (typeof PHASES)[number];
export type PhaseOutcome = 'running' | 'ok' | 'failed' | 'skipped';
export type DeployKind = 'push' | 'image' | 'config' | 'rollback';
export type DeployStatus = 'running' | 'succeeded' | 'failed';

/** Most lines kept with a failed phase, and the most characters of each. */
export const FAILURE_LINES = 20;
const LINE_CHARS = 500;

export interface Phase {
  name: PhaseName;
  outcome: PhaseOutcome;
  startedAt: Date | null;
  endedAt: Date | null;
  /** What ran: `buildpacks` or `Dockerfile` for the build, the command of the release phase. */
  detail: string | null;
  reason: string | null;
  /** The lines that explain a failure (build log, release command or instance output). */
  lines: string[];
}

export interface Deploy {
  id: number;
  appId: number;
  kind: DeployKind;
  status: DeployStatus;
  commit: string | null;
  buildId: string | null;
  releaseVersion: number | null;
  createdBy: string | null;
  startedAt: Date;
  endedAt: Date | null;
  reason: string | null;
  phases: Phase[];
}

export interface NewDeploy {
  appId: number;
  kind: DeployKind;
  commit: string | null;
  createdBy: string | null;
  startedAt: Date;
}

export type DeployPatch = Partial<Pick<Deploy, 'status' | 'buildId' | 'releaseVersion' | 'endedAt' | 'reason'>>;

/** The port the recorder writes through and the API reads from. */
export interface TimelineStore {
  create(deploy: NewDeploy): Promise<number>;
  update(id: number, patch: DeployPatch): Promise<void>;
  /** Inserts or replaces the deploy's phase of that name. */
  savePhase(deployId: number, phase: Phase): Promise<void>;
  /** The app's newest deploys first, with their phases. */
  list(appId: number, limit: number): Promise<Deploy[]>;
  forRelease(appId: number, version: number): Promise<Deploy | null>;
  forBuild(buildId: string): Promise<Deploy | null>;
}

/** What the workflow's parts see of a deploy in progress: phases moved along as they happen. */
export interface PhaseSink {
  start(name: PhaseName, detail?: string | null): void;
  ok(name: PhaseName): void;
  skip(name: PhaseName): void;
  /** Fails the phase (running or not yet started) with its reason and explaining lines. */
  fail(name: PhaseName, reason: string, lines?: readonly string[]): void;
  /** A line of the deploy's output: the last ones explain a failure that brings no lines of its own. */
  note(line: string): void;
  attachBuild(buildId: string): void;
  attachRelease(version: number): void;
}

/** A deploy in progress: a PhaseSink the workflow also ends. */
export interface DeployRun extends PhaseSink {
  readonly kind: DeployKind;
  /** The deploy is live (routed); `drained` may still run behind. */
  succeed(): void;
  /** The deploy stopped: every running phase fails with the reason. */
  failed(error: unknown): void;
  /** Settles when every write so far is stored (tests, and the end of a push). */
  flush(): Promise<void>;
}

// ---- pure rules -------------------------------------------------------------------------------

export function newPhase(name: PhaseName): Phase {
  return { name, outcome: 'running', startedAt: null, endedAt: null, detail: null, reason: null, lines: [] };
}

/**
 * A phase (re)started: it runs again, keeping its first start, so batches of instances make one
 * span from the first start to the last end.
 */
export function started(phase: Phase | undefined, name: PhaseName, at: Date, detail: string | null = null): Phase {
  const base = phase ?? newPhase(name);
  return { ...base, outcome: 'running', startedAt: base.startedAt ?? at, endedAt: null, detail: detail ?? base.detail };
}

export function ended(phase: Phase | undefined, name: PhaseName, at: Date, outcome: 'ok' | 'skipped'): Phase {
  const base = phase ?? newPhase(name);
  if (base.outcome === 'failed') return base;
  return { ...base, outcome, startedAt: base.startedAt ?? at, endedAt: at };
}

export function failedPhase(phase: Phase | undefined, name: PhaseName, at: Date, reason: string, lines: readonly string[]): Phase {
  const base = phase ?? newPhase(name);
  return { ...base, outcome: 'failed', startedAt: base.startedAt ?? at, endedAt: at, reason: reason.slice(0, 2000), lines: trimLines(lines) };
}

/** The last FAILURE_LINES non-empty lines, each cut to a readable length. */
export function trimLines(lines: readonly string[]): string[] {
  return lines.map((l) => l.replace(/\s+$/, '')).filter((l) => l.trim() !== '').slice(-FAILURE_LINES)
    .map((l) => (l.length > LINE_CHARS ? `${l.slice(0, LINE_CHARS)}…` : l));
}

/**
 * A failure's message as reason and lines: the first line says why; what follows it (an instance's
 * last log lines, appended by the deployer) explains it.
 */
export function splitFailure(message: string): { reason: string; lines: string[] } {
  const [first = '', ...rest] = message.split('\n');
  const lines = rest.filter((l) => !/^Last lines of its log/.test(l) && !/^It wrote nothing/.test(l));
  return { reason: first, lines };
}

export function durationMs(phase: Pick<Phase, 'startedAt' | 'endedAt'>): number | null {
  return phase.startedAt && phase.endedAt ? Math.max(0, phase.endedAt.getTime() - phase.startedAt.getTime()) : null;
}

/** Phases a deploy of this kind never runs: recorded as skipped at its start. */
export function skippedFor(kind: DeployKind): PhaseName[] {
  return kind === 'push' ? [] : ['receive', 'build', 'push'];
}

// ---- the recorder -----------------------------------------------------------------------------

export interface TimelineOptions {
  store: TimelineStore;
  /** Told the app's name whenever one of its deploys changed (the console's change feed). */
  announce: (app: string) => void;
  logger: Pick<Logger, 'warn'>;
  now?: () => Date;
}

export interface BeginDeploy {
  app: { id: number; name: string };
  kind: DeployKind;
  actor?: Actor;
  commit?: string | null;
  /** When the deploy began, if before this call (a push's objects started arriving). */
  startedAt?: Date;
}

export class DeployTimeline {
  private readonly now: () => Date;

  constructor(private readonly options: TimelineOptions) {
    this.now = options.now ?? (() => new Date());
  }

  /** Records a new deploy (stored before this resolves, so it is listed at once) and announces it. */
  async begin(request: BeginDeploy): Promise<DeployRun> {
    const startedAt = request.startedAt ?? this.now();
    let id: number | null = null;
    try {
      id = await this.options.store.create({
        appId: request.app.id, kind: request.kind, commit: request.commit ?? null, createdBy: request.actor?.name ?? null, startedAt,
      });
    } catch (error) {
      this.options.logger.warn({ app: request.app.name, err: error }, 'could not record the deploy on its timeline');
    }
    const run = new RecordedRun(id, request.kind, request.app.name, this.options, this.now);
    for (const name of skippedFor(request.kind)) run.skip(name);
    this.options.announce(request.app.name);
    return run;
  }

  list(appId: number, limit = 20): Promise<Deploy[]> {
    return this.options.store.list(appId, limit);
  }

  forRelease(appId: number, version: number): Promise<Deploy | null> {
    return this.options.store.forRelease(appId, version);
  }

  forBuild(buildId: string): Promise<Deploy | null> {
    return this.options.store.forBuild(buildId);
  }
}

/** Output lines kept for a failure that brings none of its own. */
const RECENT_LINES = 40;

class RecordedRun implements DeployRun {
  private readonly phases = new Map<PhaseName, Phase>();
  private readonly recent: string[] = [];
  private writes: Promise<void> = Promise.resolve();
  private done = false;

  constructor(
    private readonly id: number | null,
    readonly kind: DeployKind,
    private readonly app: string,
    private readonly options: TimelineOptions,
    private readonly now: () => Date,
  ) {}

  start(name: PhaseName, detail: string | null = null): void {
    this.put(started(this.phases.get(name), name, this.now(), detail));
  }

  ok(name: PhaseName): void {
    this.put(ended(this.phases.get(name), name, this.now(), 'ok'));
  }

  skip(name: PhaseName): void {
    if (this.phases.get(name)?.outcome === 'skipped') return;
    this.put(ended(this.phases.get(name), name, this.now(), 'skipped'));
  }

  fail(name: PhaseName, reason: string, lines?: readonly string[]): void {
    this.put(failedPhase(this.phases.get(name), name, this.now(), reason, lines && lines.length > 0 ? lines : this.recent));
  }

  note(line: string): void {
    for (const part of line.split('\n')) {
      if (part.trim() === '') continue;
      this.recent.push(part);
      if (this.recent.length > RECENT_LINES) this.recent.shift();
    }
  }

  attachBuild(buildId: string): void {
    this.patch({ buildId });
  }

  attachRelease(version: number): void {
    this.patch({ releaseVersion: version });
  }

  succeed(): void {
    if (this.done) return;
    this.done = true;
    this.patch({ status: 'succeeded', endedAt: this.now() });
  }

  failed(error: unknown): void {
    if (this.done) return;
    this.done = true;
    const message = error instanceof Error ? error.message : String(error);
    const { reason, lines } = splitFailure(message);
    for (const phase of this.phases.values()) if (phase.outcome === 'running') this.fail(phase.name, reason, lines);
    this.patch({ status: 'failed', endedAt: this.now(), reason: reason.slice(0, 2000) });
  }

  flush(): Promise<void> {
    return this.writes;
  }

  private put(phase: Phase): void {
    this.phases.set(phase.name, phase);
    this.write((store, id) => store.savePhase(id, phase));
  }

  private patch(patch: DeployPatch): void {
    this.write((store, id) => store.update(id, patch));
  }

  /** Writes in order, one at a time, each announced; a failed write is logged and the deploy goes on. */
  private write(action: (store: TimelineStore, id: number) => Promise<void>): void {
    const id = this.id;
    if (id === null) return;
    this.writes = this.writes.then(() => action(this.options.store, id)).then(
      () => this.options.announce(this.app),
      (error: unknown) => this.options.logger.warn({ app: this.app, err: error }, 'could not record a deploy phase'),
    );
  }
}

/** A sink that records nothing (deploys made where no timeline is wired, as in some tests). */
export const NO_PHASES: DeployRun = {
  kind: 'push',
  start() {}, ok() {}, skip() {}, fail() {}, note() {}, attachBuild() {}, attachRelease() {},
  succeed() {}, failed() {}, flush: () => Promise.resolve(),
};
