/**
 * The router on every core: a node:cluster primary forks SLIPWAY_ROUTER_WORKERS workers, each a
 * whole router (startRouter: its own etcd watch and route table) sharing the listening port. The
 * primary accepts connections and hands them to workers in turn (cluster's round-robin policy,
 * which spreads long-lived keep-alive connections evenly; the kernel's choice would not).
 *
 * The primary proxies nothing and never touches etcd. It restarts a worker that dies, serves the
 * admin port, and on a scrape asks every worker for its metrics over the IPC channel and merges
 * them (counters and histograms summed; per-process gauges labelled `worker`).
 *
 * SIGTERM (or SIGINT) to the primary: every worker stops accepting, lets its in-flight requests
 * finish (up to SLIPWAY_ROUTER_SHUTDOWN_GRACE), and exits; the primary exits 0 once all are gone.
 * A second signal kills the workers and exits 1 at once.
 */
import cluster, { type Worker } from 'node:cluster';
import type { Config } from '../lib/config';
import type { Logger } from '../lib/log';
import type { RouterLogging } from './log';
import { startAdminServer, type AdminServer } from './admin';
import type { HealthReport } from './health';
import { gauge, mergeFamilies, renderExposition, type MetricFamily } from './metrics';
import type { RunningRouter } from './index';

/** Messages between the primary and its workers, all tagged so foreign messages are ignored. */
type PrimaryMessage =
  | { readonly slipway: 'metrics'; readonly id: number }
  | { readonly slipway: 'health'; readonly id: number }
  | { readonly slipway: 'shutdown' };
type WorkerMessage =
  | { readonly slipway: 'ready'; readonly port: number }
  | { readonly slipway: 'metrics'; readonly id: number; readonly families: MetricFamily[] }
  | { readonly slipway: 'health'; readonly id: number; readonly report: HealthReport };

/** The environment variable that tells a worker its slot (1…N), stable across restarts. */
const SLOT_ENV = 'SLIPWAY_ROUTER_WORKER_SLOT';
/** How long a scrape waits for a worker's answer. */
const ASK_TIMEOUT_MS = 2000;
/** A worker that dies sooner than this after starting is restarted after a growing pause. */
const CRASH_LOOP_MS = 5000;

// ---------------------------------------------------------------- worker side

/** Runs in each worker: one router, answering the primary's questions over IPC. */
export async function runWorker(config: Config, logging: RouterLogging): Promise<void> {
  const slot = process.env[SLOT_ENV] ?? String(cluster.worker?.id ?? 0);
  const logger = logging.logger.child({ worker: slot });
  let router: RunningRouter | null = null;
  let stopping = false;
  const stop = (why: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ why }, 'worker stopping: no new connections, letting in-flight requests finish');
    // Started or not yet: the router is closed as soon as it exists.
    void starting.then(async (started) => {
      await started?.close();
      process.exit(0);
    });
  };
  process.on('message', (message: PrimaryMessage) => {
    if (typeof message !== 'object' || message === null || !('slipway' in message)) return;
    if (message.slipway === 'shutdown') stop('primary asked');
    else if (message.slipway === 'metrics') send({ slipway: 'metrics', id: message.id, families: router?.metricsFamilies() ?? [] });
    else if (message.slipway === 'health' && router) send({ slipway: 'health', id: message.id, report: router.health() });
  });
  // The primary is gone (killed): nobody hands us connections any more.
  process.on('disconnect', () => stop('primary gone'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));

  // One writer of the route cache is enough; every worker reads it when it starts. (The router
  // is loaded here rather than at the top, so that the primary never loads it.)
  const starting = import('./index')
    .then(({ startRouter }) => startRouter(config, logger, { workerId: slot, writeRouteCache: slot === '1', accessLines: logging.accessLines({ worker: slot }) }))
    .then(
      (started) => started,
      (error: unknown) => {
        logger.error({ err: error }, 'router worker failed to start');
        process.exit(1);
      },
    );
  router = (await starting) ?? null;
  if (router && !stopping) send({ slipway: 'ready', port: router.port });
}

function send(message: WorkerMessage): void {
  if (process.connected) process.send?.(message);
}

// ---------------------------------------------------------------- primary side

interface Slot {
  readonly slot: string;
  worker: Worker | null;
  startedAt: number;
  crashes: number;
  ready: boolean;
}

/** Runs in the primary: forks, restarts, aggregates, and drains on SIGTERM. */
export async function runPrimary(config: Config, baseLogger: Logger): Promise<void> {
  const logger = baseLogger.child({ worker: 'primary' });
  cluster.schedulingPolicy = cluster.SCHED_RR;
  const slots: Slot[] = Array.from({ length: config.routerWorkers }, (_, i) => ({ slot: String(i + 1), worker: null, startedAt: 0, crashes: 0, ready: false }));
  const pending = new Map<number, { resolve: (message: WorkerMessage | null) => void; timer: NodeJS.Timeout }>();
  let nextId = 1;
  let stopping = false;
  let restarts = 0;
  let announced = false;
  let restForked = false;

  /**
   * The first worker starts alone and the others once it serves: each worker loads the whole
   * route table, and on a busy machine workers starting together share the cores and all come up
   * late, where one on its own comes up in about half the time (a restart serves sooner).
   */
  function forkRest(): void {
    if (restForked || stopping) return;
    restForked = true;
    for (const slot of slots) if (slot.worker === null) fork(slot);
  }

  function fork(slot: Slot): void {
    const worker = cluster.fork({ [SLOT_ENV]: slot.slot });
    slot.worker = worker;
    slot.startedAt = Date.now();
    slot.ready = false;
    worker.on('message', (message: WorkerMessage) => {
      if (typeof message !== 'object' || message === null || !('slipway' in message)) return;
      if (message.slipway === 'ready') {
        slot.ready = true;
        slot.crashes = 0;
        forkRest();
        if (!announced && slots.every((each) => each.ready)) {
          announced = true;
          logger.info({ host: config.routerHost, port: message.port, workers: slots.length, balance: config.routerBalance }, 'router listening on all workers');
        }
        return;
      }
      const waiting = pending.get(message.id);
      if (waiting) {
        pending.delete(message.id);
        clearTimeout(waiting.timer);
        waiting.resolve(message);
      }
    });
    // A message to a worker that just died fails; that must never take the primary down.
    worker.on('error', (error: Error) => logger.warn({ slot: slot.slot, error: error.message }, 'router worker channel error'));
    worker.once('exit', (code, signal) => {
      if (slot.worker === worker) slot.worker = null;
      slot.ready = false;
      if (stopping) return;
      restarts += 1;
      const quick = Date.now() - slot.startedAt < CRASH_LOOP_MS;
      slot.crashes = quick ? slot.crashes + 1 : 0;
      const delay = slot.crashes === 0 ? 0 : Math.min(5000, 100 * 2 ** (slot.crashes - 1));
      logger.error({ slot: slot.slot, code, signal, restartInMs: delay }, 'router worker died; starting another');
      setTimeout(() => {
        if (!stopping) fork(slot);
      }, delay);
    });
  }

  /** Asks one worker; null if it does not answer in time (or is gone). */
  function ask(worker: Worker, kind: 'metrics' | 'health'): Promise<WorkerMessage | null> {
    return new Promise((resolve) => {
      const id = nextId++;
      const timer = setTimeout(() => {
        pending.delete(id);
        resolve(null);
      }, ASK_TIMEOUT_MS);
      pending.set(id, { resolve, timer });
      const fail = (): void => {
        clearTimeout(timer);
        pending.delete(id);
        resolve(null);
      };
      if (!worker.isConnected()) {
        fail();
        return;
      }
      try {
        worker.send({ slipway: kind, id } satisfies PrimaryMessage, (error: Error | null) => {
          if (error) fail();
        });
      } catch {
        fail();
      }
    });
  }

  async function collect(): Promise<string> {
    const answers = await Promise.all(
      slots.map(async (slot) => {
        const answer = slot.worker ? await ask(slot.worker, 'metrics') : null;
        return { worker: slot.slot, families: answer?.slipway === 'metrics' ? answer.families : [] };
      }),
    );
    const alive = slots.filter((slot) => slot.ready).length;
    answers.push({
      worker: 'primary',
      families: [
        gauge('slipway_router_workers', 'Router worker processes serving requests.', 'sum', [{ labels: {}, value: alive }]),
        { name: 'slipway_router_worker_restarts_total', help: 'Router workers that died and were started again.', type: 'counter', merge: 'sum', samples: [{ labels: {}, value: restarts }] },
      ],
    });
    return renderExposition(mergeFamilies(answers));
  }

  async function health(): Promise<{ ok: boolean; workers: Record<string, HealthReport | null> }> {
    const workers: Record<string, HealthReport | null> = {};
    await Promise.all(
      slots.map(async (slot) => {
        const answer = slot.worker ? await ask(slot.worker, 'health') : null;
        workers[slot.slot] = answer?.slipway === 'health' ? answer.report : null;
      }),
    );
    const reports = Object.values(workers);
    return { ok: reports.length > 0 && reports.every((report) => report?.ok === true), workers };
  }

  fork(slots[0] as Slot);
  let admin: AdminServer | null = null;
  try {
    admin = await startAdminServer({ host: config.routerAdminHost, port: config.routerAdminPort, logger, metrics: collect, health });
  } catch (error) {
    logger.error({ err: error, port: config.routerAdminPort }, 'router admin port unavailable; serving without /metrics');
  }

  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) {
      logger.warn({ signal }, 'second signal while stopping; exiting now');
      for (const slot of slots) slot.worker?.process.kill('SIGKILL');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal, workers: slots.length }, 'stopping: no new connections, letting in-flight requests finish');
    const exits = slots.map((slot) => {
      const worker = slot.worker;
      if (!worker || worker.isDead()) return Promise.resolve();
      const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
      const signalInstead = (): void => void worker.process.kill('SIGTERM');
      try {
        if (worker.isConnected()) worker.send({ slipway: 'shutdown' } satisfies PrimaryMessage, (error: Error | null) => error && signalInstead());
        else signalInstead();
      } catch {
        signalInstead();
      }
      return exited;
    });
    // Workers give up on stragglers after the grace period; this only guards against a hung one.
    const deadline = setTimeout(() => {
      logger.error('workers did not stop in time; killing them');
      for (const slot of slots) slot.worker?.process.kill('SIGKILL');
    }, config.routerShutdownGraceMs + 10_000);
    void Promise.all(exits).then(async () => {
      clearTimeout(deadline);
      await admin?.close();
      logger.info('router stopped');
      process.exit(0);
    });
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
