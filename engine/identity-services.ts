/**
 * The identity services wired together on one database: what the composition root
 * (platform/platform.ts) and the integration tests build, so both build them the same way.
 */
import type { Knex } from 'knex';
import { AppAccessService } from './app-access-service';
import { AuditTrail, TeamAuditReaders } from './audit';
import { IdentityService, type IdentityOptions } from './identity-service';
import { AuditRepo } from './store/audit-repo';
import { TeamsRepo } from './store/teams-repo';
import { TeamsService } from './teams-service';

export interface IdentityServices {
  audit: AuditTrail;
  identity: IdentityService;
  teams: TeamsService;
  appAccess: AppAccessService;
}

export function createIdentityServices(db: Knex, options: IdentityOptions = {}): IdentityServices {
  const clock = options.clock ?? (() => new Date());
  const audit = new AuditTrail(new AuditRepo(db), new TeamAuditReaders(new TeamsRepo(db)), clock);
  return {
    audit,
    identity: new IdentityService(db, audit, { ...options, clock }),
    teams: new TeamsService(db, audit, clock),
    appAccess: new AppAccessService(db, audit, clock),
  };
}
