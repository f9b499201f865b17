/**
 * Who acts, as the engine's services see it: the types of engine/policy.ts, re-exported so the
 * identity services can import them from one small module.
 */
export { PLATFORM } from './policy';
export type { AppPermission, PlatformPrincipal, Principal, TeamRole, TokenScope, UserPrincipal } from './policy';
