/**
 * One push per app at a time (Dokku's deploy lock); different apps proceed in parallel.
 * In-process: one builder replica owns an app's pushes. Several replicas would take an etcd lease instead.
 */
export class AppLocks {
  private readonly tails = new Map<string, Promise<void>>();

  isLocked(app: string): boolean {
    return this.tails.has(app);
  }

  /** Resolves with a release function once every earlier holder of the app's lock released it. */
  async acquire(app: string): Promise<() => void> {
    const previous = this.tails.get(app) ?? Promise.resolve();
    let release!: () => void;
    const current = new Promise<void>((resolve) => { release = resolve; });
    const tail = previous.then(() => current);
    this.tails.set(app, tail);
    await previous;
    return () => {
      release();
      if (this.tails.get(app) === tail) this.tails.delete(app);
    };
  }
}
