/** Fakes of the add-on services' ports: servers that record every call, and bindings that record releases. */
import type { Readable, Writable } from 'node:stream';
import type { ConfigChanges } from '../../../../engine/config-vars';
import type { ServerCredentials } from '../../../../engine/addons/model';
import type { AppBindings } from '../../../../engine/addons/ports';
import type { AddonServers, ServerSpec, ServerStatus, VerifyResult } from '../../../../engine/addons/servers';

export interface FakeServer {
  spec: ServerSpec;
  running: boolean;
  /** Credentials the server accepts now, by user name. */
  users: Map<string, ServerCredentials>;
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
  verifyResult: VerifyResult = { ok: true, detail: '1 table, 3 rows match' };
  restored: string[] = [];

  constructor(readonly events: EventLog = []) {}

  async ensure(spec: ServerSpec): Promise<void> {
    this.events.push(`ensure ${spec.name}`);
    if (this.ensureError) throw this.ensureError;
    const existing = this.servers.get(spec.name);
    if (existing) existing.running = true;
    else {
      this.created += 1;
      this.servers.set(spec.name, { spec, running: true, users: new Map([[spec.credentials.username, spec.credentials]]), data: 'rows' });
    }
    if (this.hangNextEnsure) {
      this.hangNextEnsure = false;
      await new Promise<never>(() => undefined);
    }
  }

  async status(name: string): Promise<ServerStatus> {
    const server = this.servers.get(name);
    return server === undefined ? 'missing' : server.running ? 'running' : 'unhealthy';
  }

  async remove(name: string): Promise<void> {
    this.events.push(`remove ${name}`);
    this.servers.delete(name);
  }

  async rotateCredentials(spec: ServerSpec, next: ServerCredentials): Promise<void> {
    this.events.push(`rotate ${spec.name}`);
    this.server(spec.name).users.set(next.username, next);
  }

  async revokeCredentials(spec: ServerSpec, old: ServerCredentials): Promise<void> {
    this.events.push(`revoke ${spec.name} ${old.username}`);
    this.server(spec.name).users.delete(old.username);
  }

  async backup(spec: ServerSpec, out: Writable): Promise<void> {
    this.events.push(`backup ${spec.name}`);
    if (this.backupError) {
      out.write('partial');
      throw this.backupError;
    }
    await new Promise<void>((resolve, reject) => out.end(`dump of ${this.server(spec.name).data}`, () => resolve()).on('error', reject));
  }

  async restore(spec: ServerSpec, input: Readable): Promise<void> {
    let text = '';
    for await (const chunk of input) text += String(chunk);
    this.restored.push(text);
    this.server(spec.name).data = text.replace(/^dump of /, '');
  }

  async verify(spec: ServerSpec, input: Readable): Promise<VerifyResult> {
    this.events.push(`verify ${spec.name}`);
    for await (const _chunk of input) { /* read it all, as a scratch restore would */ }
    return this.verifyResult;
  }

  connectionUrl(spec: ServerSpec): string {
    const scheme = spec.kind === 'postgresql' ? 'postgres' : spec.kind;
    if (spec.kind === 'redis') return `redis://${spec.credentials.username}:${spec.credentials.password}@${spec.name}:6379`;
    return `${scheme}://${spec.credentials.username}:${spec.credentials.password}@${spec.name}:${spec.kind === 'mysql' ? 3306 : 5432}/${spec.credentials.database}`;
  }

  private server(name: string): FakeServer {
    const server = this.servers.get(name);
    if (!server) throw new Error(`no server ${name}`);
    return server;
  }
}

/** Applies the changes to the app's stored config (as an undeployed app's config change does) and records a release. */
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
}
