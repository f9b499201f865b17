/**
 * Cancellation of an app's running work. Each app (by id, which is never reused) has one
 * AbortSignal that every deploy, check and release of it runs under: `apps:destroy` aborts it, so
 * work that waits (a failing health check retrying, a release queued behind another) ends at once
 * instead of acting on the app after it is gone.
 *
 * A push's deploy also has its own signal: a newer push to the app cancels a deploy that is
 * waiting to retry a failing check (a healthy deploy is never cut short, the newer push queues).
 */
import { SlipwayError } from '../lib/errors';

export interface PushWork {
  /** Aborted when the app is destroyed, or when a newer push supersedes this one while it waits. */
  readonly signal: AbortSignal;
  /** The deploy waits to retry a failing check: a newer push may cancel it from now on. */
  waiting(): void;
  /** The push ended (whatever its outcome). */
  done(): void;
}

interface RunningPush {
  waiting: boolean;
  superseded: boolean;
  cancel(): void;
}

export class AppWork {
  private readonly apps = new Map<number, AbortController>();
  private readonly pushes = new Map<number, RunningPush>();

  /** The signal of all work of the app; already aborted when the app is being destroyed. */
  signalFor(appId: number): AbortSignal {
    return this.controller(appId).signal;
  }

  /** Aborts all running and queued work of the app (apps:destroy). */
  cancel(appId: number, appName: string): void {
    this.controller(appId).abort(new SlipwayError('deploy_failed', `Deploy cancelled: ${appName} is being destroyed.`));
  }

  /** The app is gone (or its destroy failed and it stays): its signal is no longer kept. */
  forget(appId: number): void {
    this.apps.delete(appId);
    this.pushes.delete(appId);
  }

  /** Starts tracking the push deploying the app now. */
  beginPush(appId: number, appName: string): PushWork {
    const controller = new AbortController();
    const running: RunningPush = {
      waiting: false,
      superseded: false,
      cancel: () => controller.abort(new SlipwayError('deploy_failed',
        `Deploy cancelled: a newer push to ${appName} arrived while this one waited on a failing health check.`)),
    };
    this.pushes.set(appId, running);
    return {
      signal: AbortSignal.any([this.signalFor(appId), controller.signal]),
      waiting: () => {
        running.waiting = true;
        if (running.superseded) running.cancel();
      },
      done: () => {
        if (this.pushes.get(appId) === running) this.pushes.delete(appId);
      },
    };
  }

  /**
   * A newer push to the app arrived: the running push's deploy is cancelled if it waits on a
   * failing check now or starts to later; otherwise the newer push simply queues behind it.
   */
  supersede(appId: number): void {
    const running = this.pushes.get(appId);
    if (!running) return;
    running.superseded = true;
    if (running.waiting) running.cancel();
  }

  private controller(appId: number): AbortController {
    let controller = this.apps.get(appId);
    if (!controller) {
      controller = new AbortController();
      this.apps.set(appId, controller);
    }
    return controller;
  }
}

/** The reason a signal was aborted with, as an error to throw. */
export function abortReason(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason : new SlipwayError('deploy_failed', 'Deploy cancelled.');
}
