/**
 * In-memory stand-ins for what the Deployer talks to: a RuntimeDriver, a RoutePublisher and the
 * two methods of ReleasesRepo it calls. All three write to one shared event log ("start web.v2.1",
 * "publish web.v2.1", "withdraw old-web.1", "stop old-web.1", "succeeded v2", …) so tests can
 * assert the order in which a rollout touched things, and when.
 */
import type { BackendValue } from '../../../lib/etcd-keys';
import type { Release } from '../../../engine/model';
import type { RoutePublisher } from '../../../engine/publisher';
import type { HostCapacity, Instance, InstanceSpec, InstanceState, RuntimeDriver } from '../../../engine/runtime-driver';
import type { ReleasesRepo } from '../../../engine/store/releases-repo';

/** What happened, in order, with the time of each event. */
export class EventLog {
  readonly entries: Array<{ what: string; at: number }> = [];

  push(what: string): void {
    this.entries.push({ what, at: Date.now() });
  }

  list(): string[] {
    return this.entries.map((e) => e.what);
  }

  /** Position of an event; -1 when it did not happen. */
  indexOf(what: string): number {
    return this.list().indexOf(what);
  }

  /** Time of an event (throws when it did not happen). */
  at(what: string): number {
    const entry = this.entries.find((e) => e.what === what);
    if (!entry) throw new Error(`no event "${what}" in: ${this.list().join(', ')}`);
    return entry.at;
  }
}

/** How a started instance behaves; decided per spec when it starts. */
export interface FakeBehaviour {
  /** Where its web process answers (a real local server, or a closed port); null: no HTTP. */
  url?: string | null;
  /** Its state as `inspect` reports it from then on. */
  state?: InstanceState;
  restartCount?: number;
  /** What it wrote to its log. */
  logs?: string;
  /** Gone as soon as it started (inspect answers null). */
  vanishes?: boolean;
}

export class FakeDriver implements RuntimeDriver {
  readonly instances = new Map<string, Instance>();
  readonly logText = new Map<string, string>();
  readonly stops: Array<{ id: string; graceSeconds: number }> = [];
  readonly starts: InstanceSpec[] = [];
  host: HostCapacity = { memoryMb: 64 * 1024, cpus: 32 };
  private readonly counters = new Map<string, number>();

  constructor(
    readonly events: EventLog = new EventLog(),
    private readonly behave: (spec: InstanceSpec, id: string) => FakeBehaviour = () => ({}),
  ) {}

  /** An instance that already runs (e.g. of the previous release). */
  seed(instance: Partial<Instance> & Pick<Instance, 'id' | 'process' | 'release'>): Instance {
    const full: Instance = {
      app: 'shop', state: 'running', url: null, startedAt: new Date(0), restartCount: 0, memoryMb: 512, cpu: 0.5, ...instance,
    };
    this.instances.set(full.id, full);
    return full;
  }

  async start(spec: InstanceSpec): Promise<Instance> {
    const key = `${spec.process}.v${spec.release}`;
    const n = (this.counters.get(key) ?? 0) + 1;
    this.counters.set(key, n);
    const id = `${key}.${n}`;
    const behaviour = this.behave(spec, id);
    const instance: Instance = {
      id, app: spec.app, release: spec.release, process: spec.process, state: behaviour.state ?? 'running',
      url: behaviour.url ?? null, startedAt: new Date(), restartCount: behaviour.restartCount ?? 0,
      memoryMb: spec.memoryMb, cpu: spec.cpu,
    };
    this.starts.push(spec);
    this.events.push(`start ${id}`);
    if (!behaviour.vanishes) this.instances.set(id, instance);
    if (behaviour.logs !== undefined) this.logText.set(id, behaviour.logs);
    return { ...instance };
  }

  async stop(instanceId: string, graceSeconds: number): Promise<void> {
    this.events.push(`stop ${instanceId}`);
    this.stops.push({ id: instanceId, graceSeconds });
    this.instances.delete(instanceId);
  }

  async inspect(instanceId: string): Promise<Instance | null> {
    const instance = this.instances.get(instanceId);
    return instance ? { ...instance } : null;
  }

  async list(app?: string): Promise<Instance[]> {
    return [...this.instances.values()].filter((i) => app === undefined || i.app === app).map((i) => ({ ...i }));
  }

  async logs(instanceId: string, lines: number): Promise<string> {
    const text = (this.logText.get(instanceId) ?? '').trimEnd();
    return text === '' ? '' : `${text.split('\n').slice(-lines).join('\n')}\n`;
  }

  async restart(instanceId: string): Promise<void> {
    this.events.push(`restart ${instanceId}`);
    const instance = this.instances.get(instanceId);
    if (instance) instance.restartCount += 1;
  }

  async capacity(): Promise<HostCapacity> {
    return { ...this.host };
  }
}

export class FakePublisher implements RoutePublisher {
  /** app → instance id → backend. */
  readonly backends = new Map<string, Map<string, BackendValue>>();
  readonly removedApps: string[] = [];

  constructor(readonly events: EventLog = new EventLog()) {}

  /** A backend that was published before the test started (no event). */
  seed(app: string, instanceId: string, value: BackendValue): void {
    this.of(app).set(instanceId, value);
  }

  published(app: string): string[] {
    return [...this.of(app).keys()].sort();
  }

  async publishDomain(_app: string, _host: string): Promise<void> {
    // Domains play no part in rollouts.
  }

  async publishBackend(app: string, instanceId: string, value: BackendValue): Promise<void> {
    this.events.push(`publish ${instanceId}`);
    this.of(app).set(instanceId, value);
  }

  async withdrawBackend(app: string, instanceId: string): Promise<void> {
    this.events.push(`withdraw ${instanceId}`);
    this.of(app).delete(instanceId);
  }

  async removeApp(app: string): Promise<void> {
    this.events.push(`remove-app ${app}`);
    this.removedApps.push(app);
    this.backends.delete(app);
  }

  async publishedBackends(app: string): Promise<Map<string, BackendValue>> {
    return new Map(this.of(app));
  }

  private of(app: string): Map<string, BackendValue> {
    let backends = this.backends.get(app);
    if (!backends) {
      backends = new Map();
      this.backends.set(app, backends);
    }
    return backends;
  }
}

/** The part of ReleasesRepo the Deployer uses: marking a release live or failed. */
export class FakeReleases {
  readonly succeeded: number[] = [];
  readonly failed: Array<{ version: number; reason: string }> = [];

  constructor(readonly events: EventLog = new EventLog()) {}

  async markSucceeded(release: Release): Promise<void> {
    this.events.push(`succeeded v${release.version}`);
    this.succeeded.push(release.version);
  }

  async markFailed(release: Release, reason: string): Promise<void> {
    this.events.push(`failed v${release.version}`);
    this.failed.push({ version: release.version, reason });
  }

  asRepo(): ReleasesRepo {
    return this as unknown as ReleasesRepo;
  }
}
