/**
 * Measuring existing services from the composition root, without teaching each of them about
 * metrics: a method's outcome and duration, or every rejected call of an object. The services
 * stay as they are; platform/platform.ts decides what is measured.
 */
import type { Outcome } from './platform-metrics';

type AsyncMethodKeys<T> = { [K in keyof T]: T[K] extends (...args: never[]) => Promise<unknown> ? K : never }[keyof T];

/**
 * Replaces `target[method]` (on the instance) by a wrapper that reports each call's outcome and
 * duration in seconds, then settles exactly as the original did. Internal calls through `this`
 * see the wrapper too, which is the point for loops such as the reconciler's timer.
 */
export function timeCalls<T extends object, K extends AsyncMethodKeys<T>>(
  target: T,
  method: K,
  report: (outcome: Outcome, seconds: number) => void,
): void {
  const original = target[method] as unknown as (...args: unknown[]) => Promise<unknown>;
  const wrapped = async function (this: unknown, ...args: unknown[]): Promise<unknown> {
    const started = performance.now();
    try {
      const result = await original.apply(target, args);
      report('succeeded', (performance.now() - started) / 1000);
      return result;
    } catch (error) {
      report('failed', (performance.now() - started) / 1000);
      throw error;
    }
  };
  (target as Record<K, unknown>)[method] = wrapped;
}

/**
 * A view of `target` whose methods report every rejection (by method name) before passing it on.
 * Used for the etcd publisher: each of its methods is one etcd operation.
 */
export function countRejections<T extends object>(target: T, report: (method: string) => void): T {
  return new Proxy(target, {
    get(object, property, receiver) {
      const value: unknown = Reflect.get(object, property, receiver);
      if (typeof value !== 'function' || typeof property !== 'string') return value;
      return (...args: unknown[]): unknown => {
        const result: unknown = (value as (...a: unknown[]) => unknown).apply(object, args);
        if (result instanceof Promise) {
          return result.catch((error: unknown) => {
            report(property);
            throw error;
          });
        }
        return result;
      };
    },
  });
}

/** Builds end in exactly one place, the builds record: each finished build counts once, by its status. */
export function meterBuildRecords(
  builds: { finish(id: string, result: { status: 'succeeded' | 'failed'; durationMs: number }): Promise<void> },
  report: (outcome: Outcome, seconds: number) => void,
): void {
  const finish = builds.finish.bind(builds);
  builds.finish = async (id, result) => {
    await finish(id, result);
    report(result.status, result.durationMs / 1000);
  };
}

/**
 * A reconciler pass counts once: `reconcileAll` hands a caller that arrives during a pass the
 * promise of that pass, which is not a new one.
 */
export function meterPasses(reconciler: { reconcileAll(): Promise<void> }, report: (seconds: number) => void): void {
  const reconcileAll = reconciler.reconcileAll.bind(reconciler);
  let current: Promise<void> | null = null;
  reconciler.reconcileAll = () => {
    const pass = reconcileAll();
    if (pass !== current) {
      current = pass;
      const started = performance.now();
      void pass.then(() => report((performance.now() - started) / 1000), () => report((performance.now() - started) / 1000));
    }
    return pass;
  };
}
