/**
 * The audit log (issue 11 §5): every change and every refusal, who, what, where from, with what
 * result. Appended in the same transaction as the change when the caller gives its transaction,
 * readable page by page (newest first) and followed live (`audit -t`) through an in-process
 * subscription. Entries reach followers once committed.
 */
import type { Knex } from 'knex';
import { SlipwayError } from '../lib/errors';
import { entryFor, matches, mayRead, type AuditDetail, type AuditEntry, type AuditFilter, type AuditReader, type AuditRecord, type AuditResult } from './audit-entry';
import type { Principal } from './principal';
import type { AuditRepo } from './store/audit-repo';
import type { TeamsRepo } from './store/teams-repo';

export type { AuditEntry, AuditFilter, AuditRecord } from './audit-entry';

/** Who reads the log: resolved from the principal by whoever knows the teams (the platform admin: null, meaning everything). */
export interface AuditReaders {
  readerFor(principal: Principal): Promise<AuditReader | null>;
}

export interface AuditPage {
  entries: AuditEntry[];
  /** The cursor for the next (older) page; null when this page is the last. */
  next: number | null;
}

export const AUDIT_PAGE_DEFAULT = 50;
export const AUDIT_PAGE_MAX = 500;

type Listener = (entry: AuditEntry) => void;

export class AuditTrail {
  private readonly listeners = new Set<Listener>();

  constructor(
    private readonly repo: AuditRepo,
    private readonly readers: AuditReaders,
    private readonly clock: () => Date = () => new Date(),
    /** The team of an app by name, so entries that name only the app reach its team's admins. */
    private readonly teamOfApp: (app: string) => Promise<string | null> = async () => null,
  ) {}

  /**
   * A change recorded by a transport (the route table's `audit`, git push, `ssh … run`): the
   * address joins the principal, the app's team is looked up when not given, and the detail keeps
   * plain values only (strings, numbers, booleans, lists of strings), never a secret (safeDetail).
   */
  async recordChange(change: {
    principal: Principal; address?: string; action: string; app?: string | null; team?: string | null;
    result: AuditResult; detail?: Readonly<Record<string, unknown>>;
  }): Promise<AuditEntry> {
    const principal = change.principal.kind === 'user' && change.address ? { ...change.principal, address: change.address } : change.principal;
    const team = change.team ?? (change.app ? await this.teamOfApp(change.app) : null);
    return this.record({ principal, action: change.action, app: change.app ?? null, team, result: change.result, detail: plainDetail(change.detail) });
  }

  /**
   * Appends an entry; with `trx`, inside that transaction (it commits or rolls back with the
   * change) and shown to followers only once committed.
   */
  async record(record: AuditRecord, trx?: Knex.Transaction): Promise<AuditEntry> {
    const entry = await this.repo.append(entryFor(record, this.clock()), trx);
    if (trx) {
      trx.executionPromise.then(() => this.publish(entry), () => undefined);
    } else {
      this.publish(entry);
    }
    return entry;
  }

  /** One page of the entries `principal` may read, newest first. */
  async query(principal: Principal, filter: AuditFilter = {}, limit = AUDIT_PAGE_DEFAULT): Promise<AuditPage> {
    if (!Number.isInteger(limit) || limit < 1 || limit > AUDIT_PAGE_MAX) {
      throw new SlipwayError('invalid_request', `The page size must be between 1 and ${AUDIT_PAGE_MAX}.`);
    }
    const reader = await this.readers.readerFor(principal);
    const scope = reader === null ? null : { userId: reader.userId, teams: reader.adminTeams };
    // One more than asked tells whether there is a next page.
    const rows = await this.repo.query(filter, scope, limit + 1);
    const entries = rows.slice(0, limit);
    return { entries, next: rows.length > limit ? entries[entries.length - 1]!.id : null };
  }

  /**
   * Calls `onEntry` with every new entry `principal` may read and `filter` selects, until the
   * returned function is called. Who may read what is resolved once, when following starts.
   */
  async follow(principal: Principal, filter: AuditFilter, onEntry: (entry: AuditEntry) => void): Promise<() => void> {
    const reader = await this.readers.readerFor(principal);
    const listener: Listener = (entry) => {
      if (mayRead(reader, entry) && matches(filter, entry)) onEntry(entry);
    };
    this.listeners.add(listener);
    return () => { this.listeners.delete(listener); };
  }

  private publish(entry: AuditEntry): void {
    for (const listener of this.listeners) {
      try {
        listener(entry);
      } catch {
        // A follower's failure (a closed stream) is its own business, never the change's.
      }
    }
  }
}

/** Who reads what, from the teams tables: platform admins everything; others their own actions and their admin teams' entries. */
export class TeamAuditReaders implements AuditReaders {
  constructor(private readonly teams: Pick<TeamsRepo, 'adminTeamNames'>) {}

  async readerFor(principal: Principal): Promise<AuditReader | null> {
    if (principal.kind === 'platform' || principal.platformAdmin) return null;
    return { userId: principal.userId, adminTeams: await this.teams.adminTeamNames(principal.userId) };
  }
}

function plainDetail(detail: Readonly<Record<string, unknown>> | undefined): AuditDetail {
  const plain: Record<string, AuditDetail[string]> = {};
  for (const [key, value] of Object.entries(detail ?? {})) {
    if (value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') plain[key] = value;
    else if (Array.isArray(value) && value.every((v) => typeof v === 'string')) plain[key] = value as string[];
  }
  return plain;
}
