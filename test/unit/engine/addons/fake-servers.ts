/**
 * A fake AddonServers for the service layer's unit tests: servers are records in memory, data is
 * a table of counts, backups are JSON (gzip-free) that remember the counts, and every call is
 * logged. `failNext` makes the next call of a method reject, to test how callers handle failure.
 */
import type { Readable } from 'node:stream';
import {
  ADDON_PORTS, type AddonCredentials, type AddonEndpoint, type AddonKind, type AddonServerInfo, type AddonServers,
  type AddonServerSpec, type AddonServerState, type BackupResult, type DataCounts, type EnsureProgress,
  type RemoveOptions, type VerifyResult, type BackupInput, type BackupOutput,
} from '../../../../engine/addons/kinds';
import { writeOutput } from './fake-output';
import { backupStream } from '../../../../engine/addons/backup-files';
import { compareCounts } from '../../../../engine/addons/dump-counts';

export interface FakeServer {
  spec: AddonServerSpec;
  state: AddonServerState;
  /** Credentials that currently work (the first, then rotated ones until revoked). */
  credentials: AddonCredentials[];
  data: DataCounts;
  volume: boolean;
}

type Method = keyof AddonServers;

export class FakeAddonServers implements AddonServers {
  readonly servers = new Map<string, FakeServer>();
  readonly calls: { method: Method; addonName: string }[] = [];
  private readonly failures = new Map<Method, Error>();

  imageOf(kind: string): string {
    return `fake/addon-${kind}`;
  }

  failNext(method: Method, error = new Error(`${method} failed (fake)`)): void {
    this.failures.set(method, error);
  }

  private record(method: Method, addonName: string): void {
    this.calls.push({ method, addonName });
    const failure = this.failures.get(method);
    if (failure) {
      this.failures.delete(method);
      throw failure;
    }
  }

  private get(addonName: string): FakeServer {
    const server = this.servers.get(addonName);
    if (!server || server.state === 'missing') throw new Error(`The add-on server ${addonName} does not exist.`);
    if (server.state !== 'running') throw new Error(`The add-on server ${addonName} is not running (${server.state}).`);
    return server;
  }

  async ensure(spec: AddonServerSpec, onProgress: (progress: EnsureProgress) => void = () => {}): Promise<AddonEndpoint> {
    this.record('ensure', spec.addonName);
    const existing = this.servers.get(spec.addonName);
    if (existing) {
      existing.state = 'running';
    } else {
      onProgress({ phase: 'container', message: `Creating ${spec.addonName}` });
      onProgress({ phase: 'initialising', message: 'Creating the database and its credentials' });
      this.servers.set(spec.addonName, { spec, state: 'running', credentials: [spec.credentials], data: {}, volume: true });
    }
    onProgress({ phase: 'healthy', message: `${spec.addonName} is ready` });
    return { host: spec.addonName, port: ADDON_PORTS[spec.kind] };
  }

  async status(addonName: string): Promise<AddonServerState> {
    this.record('status', addonName);
    return this.servers.get(addonName)?.state ?? 'missing';
  }

  async list(): Promise<AddonServerInfo[]> {
    this.record('list', '');
    return [...this.servers.values()].map((s) => ({
      addonName: s.spec.addonName, kind: s.spec.kind, teamId: s.spec.teamId, plan: s.spec.plan, state: s.state,
    }));
  }

  async remove(addonName: string, options: RemoveOptions): Promise<void> {
    this.record('remove', addonName);
    const server = this.servers.get(addonName);
    if (!server) return;
    if (options.keepVolume) server.state = 'missing';
    else this.servers.delete(addonName);
  }

  async removeStaleScratch(): Promise<string[]> {
    this.record('removeStaleScratch', '');
    return [];
  }

  async rotateCredentials(addonName: string, next: AddonCredentials): Promise<void> {
    this.record('rotateCredentials', addonName);
    this.get(addonName).credentials.push(next);
  }

  async revokeCredentials(addonName: string, old: AddonCredentials): Promise<void> {
    this.record('revokeCredentials', addonName);
    const server = this.get(addonName);
    server.credentials = server.credentials.filter((c) => c.user !== old.user);
  }

  /** Whether `credentials` would log in now. */
  works(addonName: string, credentials: AddonCredentials): boolean {
    const server = this.servers.get(addonName);
    return server?.state === 'running' && server.credentials.some((c) => c.user === credentials.user && c.password === credentials.password);
  }

  async backup(addonName: string, out: BackupOutput): Promise<BackupResult> {
    this.record('backup', addonName);
    const server = this.get(addonName);
    const body = Buffer.from(JSON.stringify({ kind: server.spec.kind, data: server.data }));
    await writeOutput(out, body);
    return { bytes: body.length, durationMs: 1, format: 'fake-json' };
  }

  async restore(addonName: string, given: BackupInput): Promise<void> {
    const input = backupStream(given);
    this.record('restore', addonName);
    const server = this.get(addonName);
    server.data = parseBackup(await readAll(input), server.spec.kind).data;
  }

  /** The backup's counts are its data's (what the dump holds); a fake scratch restore loads all of it. */
  async verify(kind: AddonKind, given: BackupInput): Promise<VerifyResult> {
    const input = backupStream(given);
    this.record('verify', '');
    try {
      const { data } = parseBackup(await readAll(input), kind);
      const mismatches = compareCounts(data, { ...data }, kind === 'redis' ? 'keys' : 'rows');
      return { ok: mismatches.length === 0, expected: data, actual: { ...data }, mismatches, durationMs: 1 };
    } catch (error) {
      return { ok: false, expected: null, actual: null, mismatches: [], error: (error as Error).message, durationMs: 1 };
    }
  }
}

async function readAll(input: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of input) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks);
}

function parseBackup(body: Buffer, kind: AddonKind): { data: DataCounts } {
  const parsed = JSON.parse(body.toString('utf8')) as { kind?: string; data?: DataCounts };
  if (parsed.kind !== kind || typeof parsed.data !== 'object' || parsed.data === null) {
    throw new Error(`not a ${kind} backup`);
  }
  return { data: parsed.data };
}
