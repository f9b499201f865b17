/**
 * Brings actual state (containers, etcd backends) back to desired state (the database: current
 * release × formation) after anything: a crash of Slipway in the middle of a deploy, a container
 * removed by hand, a failed rollout that had retired old instances. Healthy instances are left
 * alone. Fetch → compare → apply, one app at a time, under the app's deploy lock.
 */
import type { Logger } from '../lib/log';
import { runCheck } from './checks';
import { instanceSpecs, isFormationInstance, safeAppJson, type Deployer } from './deployer';
import { probeHttp } from './health';
import type { RoutePublisher } from './publisher';
import type { LockService } from './locks';
import type { Instance, InstanceSpec, RuntimeDriver } from './runtime-driver';
import type { AppsRepo } from './store/apps-repo';
import type { BuildsRepo } from './store/builds-repo';
import type { ReleasesRepo } from './store/releases-repo';

export interface ReconcilePlan {
  start: InstanceSpec[];
  retire: Instance[];
}

/** What to start and what to retire so that `actual` matches `desired`. Pure. */
export function planReconcile(desired: readonly InstanceSpec[], actual: readonly Instance[], currentRelease: number | null): ReconcilePlan {
  const start: InstanceSpec[] = [];
  const retire: Instance[] = [];
  const desiredTypes = new Set(desired.map((s) => s.process));
  for (const instance of actual) {
    if (instance.release !== currentRelease || !desiredTypes.has(instance.process)) retire.push(instance);
  }
  for (const type of desiredTypes) {
    const want = desired.filter((s) => s.process === type);
    // Crashed instances count as present: Docker restarts them with backoff; replacing them would hide the crash.
    // Keep the healthiest: running first, then starting, then crashed; exited ones are replaced.
    const rank = (i: Instance): number => ({ running: 0, starting: 1, crashed: 2, exited: 3 })[i.state];
    const have = actual.filter((i) => i.release === currentRelease && i.process === type).sort((a, b) => rank(a) - rank(b));
    const live = have.filter((i) => i.state !== 'exited');
    retire.push(...have.filter((i) => i.state === 'exited'));
    start.push(...want.slice(live.length));
    retire.push(...live.slice(want.length));
  }
  return { start, retire };
}

export class Reconciler {
  private timer: NodeJS.Timeout | null = null;
  /** Pending releases made before this time belong to a Slipway that stopped; later ones to deploys running now. */
  private readonly bootTime = new Date();
  private running: Promise<void> | null = null;

  constructor(
    private readonly apps: AppsRepo,
    private readonly releases: ReleasesRepo,
    private readonly builds: BuildsRepo,
    private readonly driver: RuntimeDriver,
    private readonly publisher: RoutePublisher,
    private readonly deployer: Deployer,
    private readonly locks: LockService,
    private readonly containerPort: number,
    private readonly logger: Logger,
  ) {}

  /** Reconciles everything now, then every `intervalMs`. */
  start(intervalMs: number): Promise<void> {
    const first = this.reconcileAll();
    this.timer = setInterval(() => { void this.reconcileAll(); }, intervalMs);
    this.timer.unref();
    return first;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  /** One pass over every app (and over containers of apps that no longer exist). Passes never overlap. */
  reconcileAll(): Promise<void> {
    if (this.running) return this.running;
    this.running = (async () => {
      try {
        const apps = await this.apps.list();
        const known = new Set(apps.map((a) => a.name));
        for (const app of apps) await this.reconcile(app.name);
        const orphans = (await this.driver.list()).filter((i) => !known.has(i.app) && isFormationInstance(i));
        for (const orphan of orphans) {
          this.logger.info({ app: orphan.app, instance: orphan.id }, 'removing instance of an app that no longer exists');
          await this.publisher.withdrawBackend(orphan.app, orphan.id);
          await this.driver.stop(orphan.id, 0);
        }
      } catch (error) {
        this.logger.error({ err: error }, 'reconcile pass failed');
      } finally {
        this.running = null;
      }
    })();
    return this.running;
  }

  /**
   * Converges one app. The periodic pass skips an app whose lock a deploy holds (the deploy is in
   * charge then); `wait` queues behind it instead (ps:scale must converge before it answers).
   */
  async reconcile(name: string, options: { wait?: boolean } = {}): Promise<void> {
    if (!options.wait && this.locks.isLocked(name, 'deploy')) return;
    const unlock = await this.locks.acquire(name, 'deploy');
    try {
      await this.converge(name);
    } catch (error) {
      this.logger.warn({ app: name, err: error }, 'reconcile failed; will retry');
    } finally {
      unlock();
    }
  }

  private async converge(name: string): Promise<void> {
    const app = await this.apps.find(name);
    if (!app) return;
    // A release left pending by an earlier Slipway process was cut short by a crash: the previous
    // release never stopped being current, and the new one is rolled back.
    for (const release of (await this.releases.pending(app.id)).filter((r) => r.createdAt < this.bootTime)) {
      await this.releases.markFailed(release, 'interrupted: Slipway stopped during this deploy, so it was rolled back; push again to retry');
      this.logger.warn({ app: name, release: release.version }, 'rolled back an interrupted deploy');
    }
    const current = app.currentRelease === null ? null : await this.releases.get(app.id, app.currentRelease);
    const build = current?.buildId ? await this.builds.get(current.buildId) : null;
    const formation = await this.apps.formation(app.id);
    const desired = current && build?.image ? instanceSpecs({ app: name, teamId: app.teamId, release: current, build, formation, mounts: await this.deployer.mountsFor(name) }, this.containerPort) : [];
    const actual = (await this.driver.list(name)).filter(isFormationInstance);
    const plan = planReconcile(desired, actual, current?.version ?? null);
    const appJson = safeAppJson(build?.appJson ?? null);

    if (plan.start.length > 0) {
      this.logger.info({ app: name, start: plan.start.length }, 'starting missing instances');
      const started: Instance[] = [];
      try {
        const ready = await this.deployer.startReady(plan.start, appJson, started, () => undefined);
        for (const instance of ready.filter((i) => i.process === 'web' && i.url)) {
          await this.publisher.publishBackend(name, instance.id, { url: instance.url!, release: instance.release, process: 'web' });
        }
      } catch (error) {
        this.logger.warn({ app: name, err: String(error) }, 'missing instances did not become ready');
        await Promise.all(started.map((i) => this.driver.stop(i.id, 0)));
      }
    }
    if (plan.retire.length > 0) {
      this.logger.info({ app: name, retire: plan.retire.map((i) => i.id) }, 'retiring instances not in the desired state');
      await this.deployer.retire(name, plan.retire);
    }
    await this.syncRoutes(name, appJson.healthchecks.web ?? [], plan.retire);
  }

  /**
   * etcd lists exactly the web instances that run and are ready: published if missing (after
   * their readiness checks), withdrawn when gone or failing readiness. Liveness failures restart.
   */
  private async syncRoutes(name: string, checks: ReturnType<typeof safeAppJson>['healthchecks'][string], retired: readonly Instance[]): Promise<void> {
    const retiredIds = new Set(retired.map((i) => i.id));
    const instances = (await this.driver.list(name)).filter((i) => i.process === 'web' && !retiredIds.has(i.id));
    const publishedAt = await this.publisher.publishedBackends(name);
    const published = new Set(publishedAt.keys());
    const alive = { stillAlive: async () => null };
    for (const instance of instances) {
      if (instance.state !== 'running' || !instance.url) {
        if (published.has(instance.id)) await this.publisher.withdrawBackend(name, instance.id);
        continue;
      }
      for (const check of checks.filter((c) => c.type === 'liveness')) {
        const result = await runCheck(check, instance.url, alive);
        if (!result.ok) {
          this.logger.warn({ app: name, instance: instance.id, reason: result.reason }, 'liveness check failed; restarting');
          await this.publisher.withdrawBackend(name, instance.id);
          await this.driver.restart(instance.id, 10);
          published.delete(instance.id);
        }
      }
      const readiness = checks.filter((c) => c.type === 'readiness');
      let ready = true;
      for (const check of readiness) ready = ready && (await runCheck({ ...check, attempts: 1 }, instance.url, alive)).ok;
      if (readiness.length === 0) ready = await probeHttp(instance.url);
      // Docker restarts a crashed instance on a new host port: a backend published at the old
      // address is published again at the one the instance answers on now.
      const moved = published.has(instance.id) && publishedAt.get(instance.id)?.url !== instance.url;
      if (ready && (!published.has(instance.id) || moved)) {
        await this.publisher.publishBackend(name, instance.id, { url: instance.url, release: instance.release, process: 'web' });
      } else if (!ready && published.has(instance.id) && (readiness.length > 0 || moved)) {
        await this.publisher.withdrawBackend(name, instance.id);
      }
    }
    const ids = new Set(instances.map((i) => i.id));
    for (const id of published) if (!ids.has(id)) await this.publisher.withdrawBackend(name, id);
  }
}
