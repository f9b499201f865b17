/**
 * What the transports (API routes, git push, `ssh … run`, attach) tell the audit log: who did what
 * to which app or team, from where, and how it ended. Refusals are recorded by the access checker
 * (engine/access.ts) where they are decided. Never a secret: config keys yes, values no.
 */
import type { Principal } from './policy';

export interface AuditRecord {
  principal: Principal;
  /** The client's address (API) or the SSH client's; key fingerprints travel in the principal. */
  address: string;
  /** What was done, `config.change`, `git.push`, `run`… (docs/security.md lists them). */
  action: string;
  app?: string;
  team?: string;
  result: 'ok' | 'failed';
  detail?: Record<string, unknown>;
}

export interface AuditSink {
  record(record: AuditRecord): Promise<void>;
}
