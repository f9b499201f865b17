/**
 * Who acts, as the engine's services see it. These are the shapes of COMMON.md's contract for
 * engine/policy.ts: once the integrator's policy lands, this file only re-exports its types, so
 * services and transports can keep importing from here.
 */
export type TokenScope = 'read' | 'deploy' | 'admin';
export type TeamRole = 'admin' | 'member' | 'viewer';
export type AppPermission = 'view' | 'deploy' | 'operate' | 'manage';

export type UserPrincipal = {
  kind: 'user';
  userId: number;
  userName: string;
  platformAdmin: boolean;
  scope: TokenScope;
  via: 'token' | 'session' | 'ssh-key';
  /** The token's id (as text) or the SSH key's fingerprint: never a secret. */
  credential: string;
  address?: string;
};

/** The platform itself: the reconciler and other system work. */
export type PlatformPrincipal = { kind: 'platform' };

export type Principal = UserPrincipal | PlatformPrincipal;

export const PLATFORM: PlatformPrincipal = Object.freeze({ kind: 'platform' });
