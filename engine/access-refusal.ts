/** The policy's refusals as the errors every transport answers (403 forbidden, 404 not found). */
import { SlipwayError } from '../lib/errors';
import { authorize, type AccessChecker, type Refusal } from './policy';

export function refusalError(refusal: Refusal): SlipwayError {
  switch (refusal.reason) {
    case 'unknown_app': return new SlipwayError('app_not_found', refusal.message);
    case 'unknown_team': return new SlipwayError('team_not_found', refusal.message);
    default: return new SlipwayError('forbidden', refusal.message);
  }
}

/**
 * The policy without facts about apps and teams: only the platform and platform admins get
 * through (the single-user installation before accounts, and unit tests of the transports).
 */
export const factlessAccess: AccessChecker = {
  async check(principal, request) {
    const decision = authorize(principal, request, {});
    if (!decision.allowed) throw refusalError(decision);
  },
};
