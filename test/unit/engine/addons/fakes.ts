/** Fakes of the add-on services' ports: servers that record every call, and bindings that record releases. */
import type { ConfigChanges } from '../../../../engine/config-vars';
import type {
  BackupOutput,
  AddonCredentials, AddonEndpoint, AddonKind, AddonServerInfo, AddonServers, AddonServerSpec, AddonServerState, BackupResult,
  BackupInput, DataCounts, EnsureProgress, RemoveOptions, VerifyResult,
} from '../../../../engine/addons/kinds';
import { backupStream } from '../../../../engine/addons/backup-files';
import { writeOutput } from './fake-output';
import type { AppBindings } from '../../../../engine/addons/ports';

export interface FakeServer {
  spec: AddonServerSpec;
  state: AddonServerState;
  /** Credentials the server accepts now, by user. */
  users: Map<string, AddonCredentials>;
  data: string;
}

/** One ordered log shared by the fakes, so tests can assert the order of calls across ports. */
export type EventLog = string[];

export class FakeServers implements AddonServers {
  readonly servers = new Map<string, FakeServer>();
  /** How many servers were ever created (a second create of one name would be a bug). */
  created = 0;
  ensureError: Error | null = null;
  /** The next ensure creates the server and then never settles (Slipway "dies" mid-provisioning). */
  hangNextEnsure = false;
  backupError: Error | null = null;
  verifyOk = true;
  restored: string[] = [];
  /** Scratch servers of verifications that no longer run (a crash left them). */
  staleScratch: string[] = [];

  imageOf(kind: string): string {
    return `fake/addon-${kind}`;
  }

  constructor(readonly events: EventLog = []) {}

  async ensure(spec: AddonServerSpec, onProgress?: (progress: EnsureProgress) => void): Promise<AddonEndpoint> {
    this.events.push(`ensure ${spec.addonName}`);
    if (this.ensureError) throw this.ensureError;
    onProgress?.({ phase: 'container', message: 'creating the container' });
    const existing = this.servers.get(spec.addonName);
    if (existing) existing.state = 'running';
    else {
      this.created += 1;
      this.servers.set(spec.addonName, { spec, state: 'running', users: new Map([[spec.credentials.user, spec.credentials]]), data: 'rows' });
    }
    if (this.hangNextEnsure) {
      this.hangNextEnsure = false;
      await new Promise<never>(() => undefined);
    }
    return { host: `addon-${spec.addonName}`, port: spec.kind === 'redis' ? 6379 : spec.kind === 'mysql' ? 3306 : 5432 };
  }

  async status(name: string): Promise<AddonServerState> {
    return this.servers.get(name)?.state ?? 'missing';
  }

  async list(): Promise<AddonServerInfo[]> {
    return [...this.servers.values()].map((s) => ({ addonName: s.spec.addonName, kind: s.spec.kind, teamId: s.spec.teamId, plan: s.spec.plan, state: s.state }));
  }

  async remove(name: string, options: RemoveOptions): Promise<void> {
    this.events.push(`remove ${name}${options.keepVolume ? ' (volume kept)' : ''}`);
    this.servers.delete(name);
  }

  async removeStaleScratch(): Promise<string[]> {
    const removed = this.staleScratch.splice(0);
    for (const name of removed) this.events.push(`remove scratch ${name}`);
    return removed;
  }

  async rotateCredentials(name: string, next: AddonCredentials): Promise<void> {
    this.events.push(`rotate ${name}`);
    this.server(name).users.set(next.user, next);
  }

  async revokeCredentials(name: string, old: AddonCredentials): Promise<void> {
    this.events.push(`revoke ${name} ${old.user}`);
    this.server(name).users.delete(old.user);
  }

  async backup(name: string, out: BackupOutput): Promise<BackupResult> {
    this.events.push(`backup ${name}`);
    if (this.backupError) {
      await writeOutput(out, 'partial');
      throw this.backupError;
    }
    const text = `dump of ${this.server(name).data}`;
    await writeOutput(out, text);
    return { bytes: text.length, durationMs: 1, format: 'fake' };
  }

  async restore(name: string, given: BackupInput): Promise<void> {
    const input = backupStream(given);
    let text = '';
    for await (const chunk of input) text += String(chunk);
    this.restored.push(text);
    this.server(name).data = text.replace(/^dump of /, '');
  }

  async verify(kind: AddonKind, given: BackupInput): Promise<VerifyResult> {
    const input = backupStream(given);
    this.events.push(`verify ${kind}`);
    for await (const _chunk of input) { /* read it all, as a scratch restore would */ }
    // Every fake dump holds three items, by the count of its restore.
    const expected: DataCounts = { 'public.items': 3 };
    return this.verifyOk
      ? { ok: true, expected, actual: expected, mismatches: [], durationMs: 1 }
      : { ok: false, expected, actual: { 'public.items': 0 }, mismatches: ['public.items: expected 3 rows, found 0'], durationMs: 1 };
  }

  private server(name: string): FakeServer {
    const server = this.servers.get(name);
    if (!server) throw new Error(`no server ${name}`);
    return server;
  }
}

/** Applies the changes through `setConfig` (the real ConfigService.bind in the tests) and records a release. */
export class FakeBindings implements AppBindings {
  failNext: Error | null = null;
  releases: Array<{ app: string; changes: ConfigChanges; description: string }> = [];

  constructor(private readonly setConfig: (app: string, changes: ConfigChanges) => Promise<void>, readonly events: EventLog = []) {}

  async apply(appName: string, changes: ConfigChanges, description: string): Promise<number> {
    if (this.failNext) {
      const error = this.failNext;
      this.failNext = null;
      this.events.push(`release ${appName} failed`);
      throw error;
    }
    await this.setConfig(appName, changes);
    this.releases.push({ app: appName, changes, description });
    this.events.push(`release ${appName} ${Object.entries(changes).map(([k, v]) => `${k}=${v === null ? 'unset' : 'set'}`).join(' ')}`);
    return this.releases.length;
  }

  async settled(appName: string): Promise<void> {
    this.events.push(`settled ${appName}`);
  }
}
