/**
 * The one lock service of the control plane: mutual exclusion per app and scope. Every part that
 * needs exclusion (pushes, releases, rollouts, domains, destroy, rename) takes it here, in the
 * order of LOCK_ORDER (docs/contracts/locks.md), so no two holders can wait on each other.
 *
 * InProcessLocks serves one control-plane process. A multi-replica control plane implements the
 * same interface with etcd leases (a key per app and scope, held by a lease that a crashed replica
 * loses), which is why a lock is named by plain strings and released by a function.
 */

/** What a lock protects; a holder of one may take only the scopes after it. */
export const LOCK_ORDER = ['push', 'release', 'domains', 'deploy'] as const;
export type LockScope = (typeof LOCK_ORDER)[number];

export type Unlock = () => void;

export interface LockService {
  /** Resolves with an unlock function once every earlier holder of (app, scope) released it. */
  acquire(app: string, scope: LockScope): Promise<Unlock>;
  /** Whether someone holds or waits for (app, scope). */
  isLocked(app: string, scope: LockScope): boolean;
}

/** Runs `task` holding (app, scope). */
export async function withLock<T>(locks: LockService, app: string, scope: LockScope, task: () => Promise<T>): Promise<T> {
  const unlock = await locks.acquire(app, scope);
  try {
    return await task();
  } finally {
    unlock();
  }
}

/** Takes every scope of an app in LOCK_ORDER (destroy, rename); the unlock releases them in reverse. */
export async function acquireAll(locks: LockService, app: string): Promise<Unlock> {
  const held: Unlock[] = [];
  for (const scope of LOCK_ORDER) held.push(await locks.acquire(app, scope));
  return () => { for (const unlock of held.reverse()) unlock(); };
}

/** FIFO per key: each acquirer waits for the one before it. */
export class InProcessLocks implements LockService {
  private readonly tails = new Map<string, Promise<void>>();

  isLocked(app: string, scope: LockScope): boolean {
    return this.tails.has(key(app, scope));
  }

  async acquire(app: string, scope: LockScope): Promise<Unlock> {
    const k = key(app, scope);
    const previous = this.tails.get(k) ?? Promise.resolve();
    let release!: () => void;
    const current = new Promise<void>((resolve) => { release = resolve; });
    const tail = previous.then(() => current);
    this.tails.set(k, tail);
    await previous;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      release();
      if (this.tails.get(k) === tail) this.tails.delete(k);
    };
  }
}

function key(app: string, scope: LockScope): string {
  return `${scope}\u0000${app}`;
}
