/**
 * The identity services wired together on one database: what the composition root
 * (platform/platform.ts) and the integration tests build, so both build them the same way.
 */
import type { Knex } from 'knex';
import { AccessControl } from './access';
import { AppAccessService } from './app-access-service';
import { AuditTrail, TeamAuditReaders } from './audit';
import { IdentityService, type IdentityOptions } from './identity-service';
import { AppsRepo } from './store/apps-repo';
import { AuditRepo } from './store/audit-repo';
import { TeamsRepo } from './store/teams-repo';
import { TeamsService } from './teams-service';

export interface IdentityServices {
  audit: AuditTrail;
  identity: IdentityService;
  teams: TeamsService;
  appAccess: AppAccessService;
  /** The policy with its facts: every transport's `check` (engine/access.ts). */
  access: AccessControl;
}

export function createIdentityServices(db: Knex, options: IdentityOptions = {}): IdentityServices {
  const clock = options.clock ?? (() => new Date());
  const teams = new TeamsRepo(db);
  const audit = new AuditTrail(new AuditRepo(db), new TeamAuditReaders(teams), clock,
    async (app) => (await teams.accessFacts(app, null))?.team.name ?? null);
  return {
    audit,
    identity: new IdentityService(db, audit, { ...options, clock }),
    teams: new TeamsService(db, audit, clock),
    appAccess: new AppAccessService(db, audit, clock),
    access: new AccessControl(db, new AppsRepo(db), audit),
  };
}
