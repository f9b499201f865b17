/**
 * The port between the add-on services and the servers behind them (the Docker adapter lives in
 * engine/addons/kinds.ts and its neighbours). The services only decide *when*: provision, check,
 * rotate, back up, restore, verify; the adapter knows *how* for each kind. Every call is
 * idempotent by the add-on's name, so a retry or a reconcile after a crash never makes two servers.
 */
import type { Readable, Writable } from 'node:stream';
import type { Plan, ServerCredentials, ServerKind } from './model';

export interface ServerSpec {
  /** The add-on's name: the container's name contains it. */
  name: string;
  kind: ServerKind;
  plan: Plan;
  teamId: number;
  credentials: ServerCredentials;
}

/** What the running server looks like from the app's side. */
export type ServerStatus = 'running' | 'starting' | 'unhealthy' | 'missing';

export interface VerifyResult {
  ok: boolean;
  /** What was compared (e.g. "12 tables, 3456 rows match"), or why it failed. */
  detail: string;
}

export interface AddonServers {
  /** Makes the server exist and run (creates it only when missing); resolves once it accepts connections. */
  ensure(spec: ServerSpec): Promise<void>;
  status(name: string): Promise<ServerStatus>;
  /** Removes the server and its data volume; nothing when already gone. */
  remove(name: string): Promise<void>;
  /** Adds `next` beside the current credentials: both work until revokeCredentials. */
  rotateCredentials(spec: ServerSpec, next: ServerCredentials): Promise<void>;
  revokeCredentials(spec: ServerSpec, old: ServerCredentials): Promise<void>;
  /** Streams a consistent, compressed dump into `out`; rejects (and the dump is void) on any failure. */
  backup(spec: ServerSpec, out: Writable): Promise<void>;
  /** Replaces the server's data with the dump read from `input`. */
  restore(spec: ServerSpec, input: Readable): Promise<void>;
  /** Restores the dump into a scratch server and compares it with what the dump says it holds. */
  verify(spec: ServerSpec, input: Readable): Promise<VerifyResult>;
  /** The URL apps get: postgres://, mysql://, redis://, with the server's internal name on the team network. */
  connectionUrl(spec: ServerSpec): string;
}
