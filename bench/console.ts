/**
 * Console benchmark (issue 14): with 1,000 apps and 10,000 releases in the database, how fast the
 * console is in Chromium on this machine. Run with `npm run bench:console`; method and results are
 * in docs/benchmarks.md ("Console").
 *
 * A whole in-process Slipway (test/support/slipway.ts) whose database is seeded directly through
 * its own knex store (rows, not API calls: seeding through the API would take longer than the
 * measurements): 1,000 apps in the admin's personal team, each with ten succeeded releases (config
 * sealed as Slipway seals it) and a formation of zero instances, so the reconciler starts nothing.
 * Chromium from Debian, signed in once, then for each figure ROUNDS loads of the page, the median:
 *
 * - apps list: from navigation start until the first page of apps (APPS_PAGE rows) is in the
 *   document ("rendered"), and until the main thread is free again after it (a frame and a task
 *   later: "interactive");
 * - an app page: the same for an app's overview, until its recent releases are shown. The metrics
 *   page (24 h of charts) is another part's (console-ops); while it is a stub this measures the
 *   overview, and says so in its output;
 * - JavaScript shipped: the console's script files as served, gzipped (level 9, as a server would);
 * - push to timeline: bench/console-timeline.ts, the timeline's own benchmark, when it exists.
 *
 * Everything is removed at the end (Slipway's state dir with it), also on failure or Ctrl-C.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import zlib from 'node:zlib';
import type { Page } from 'playwright-core';
import { configContext, secretsOf } from '../engine/store/secret-columns';
import { launchChromium } from '../test/support/console-browser';
import { makeSshKey, REPO_ROOT, startTestSlipway, uniqueName, WorkingCopy, type TestSlipway } from '../test/support/slipway';
import { measureTimelineLatency } from './console-timeline';
import { machineDescription, median, runBenchmark, slipwayRevision, table, withDeadline, type Cleanup } from './support';

// --- Settings ------------------------------------------------------------------------------

const APPS = 1000;
const RELEASES_PER_APP = 10;
const ROUNDS = 5;
/** Pushes timed from their first `remote:` line to the timeline (median). */
const TIMELINE_ROUNDS = 3;
/** Rows the apps list shows at once (web/src/pages/AppsList.tsx APPS_PAGE). */
const APPS_PAGE = 50;
const GOALS = { appsListMs: 1000, appPageMs: 1000, scriptKb: 250, pushToTimelineMs: 500 } as const;

const DEADLINE = {
  whole: 20 * 60_000,
  start: 3 * 60_000,
  seed: 5 * 60_000,
  page: 60_000,
  cleanupStep: 60_000,
} as const;

const appName = (i: number): string => `bench-${String(i).padStart(4, '0')}`;

// --- Seeding -------------------------------------------------------------------------------

/** The apps and their releases as rows, in a few transactions; returns how long it took. */
async function seed(slipway: TestSlipway, adminName: string): Promise<number> {
  const t0 = Date.now();
  const db = slipway.platform.db;
  const secrets = secretsOf(db);
  const team = await db('teams').where({ name: adminName }).first('id') as { id: number } | undefined;
  if (!team) throw new Error(`the admin's personal team "${adminName}" is missing`);
  const created = new Date(Date.now() - 24 * 3_600_000);
  await db.transaction(async (trx) => {
    for (let start = 0; start < APPS; start += 100) {
      const names = Array.from({ length: Math.min(100, APPS - start) }, (_, k) => appName(start + k));
      await trx('apps').insert(names.map((name) => ({ name, team_id: team.id, config: '', current_release: RELEASES_PER_APP, created_at: created })));
    }
  });
  const rows = await db('apps').whereIn('name', Array.from({ length: APPS }, (_, i) => appName(i))).select('id', 'name') as { id: number; name: string }[];
  await db.transaction(async (trx) => {
    for (const row of rows) {
      const id = Number(row.id);
      await trx('apps').where({ id }).update({ config: secrets.seal(JSON.stringify({ GREETING: 'hello' }), configContext(id)) });
      await trx('formation').insert({ app_id: id, type: 'web', quantity: 0, memory_mb: 256, cpu: 0.25 });
      const releases = Array.from({ length: RELEASES_PER_APP }, (_, v) => ({
        app_id: id, version: v + 1, build_id: null,
        config: secrets.seal(JSON.stringify({ GREETING: 'hello' }), configContext(id)),
        description: v === 0 ? 'Initial release' : `Set GREETING config vars (${v})`,
        status: 'succeeded', failure_reason: null, created_at: new Date(created.getTime() + v * 60_000), created_by: adminName,
      }));
      await trx('releases').insert(releases);
    }
  });
  const counted = await db('releases').count({ n: '*' }).first() as { n: number | string };
  if (Number(counted.n) < APPS * RELEASES_PER_APP) throw new Error(`seeding made ${String(counted.n)} releases, not ${APPS * RELEASES_PER_APP}`);
  return Date.now() - t0;
}

// --- Measuring in Chromium ------------------------------------------------------------------

interface PageTiming { renderedMs: number; interactiveMs: number }
/** The page is rendered when `count` elements match `selector`. */
interface Ready { selector: string; count: number }

/** Loads `url` and times (from navigation start, the page's own clock) until `ready` holds and then until the main thread is free. */
async function timePage(page: Page, url: string, ready: Ready): Promise<PageTiming> {
  await withDeadline(page.goto(url, { waitUntil: 'commit' }), DEADLINE.page, `loading ${url}`);
  // A locator, not waitForFunction: the console's CSP (no eval) refuses the latter's predicate.
  await page.locator(ready.selector).nth(ready.count - 1).waitFor({ state: 'attached', timeout: DEADLINE.page });
  const renderedMs = await page.evaluate<number>('performance.now()');
  const interactiveMs = await page.evaluate<number>('new Promise((resolve) => requestAnimationFrame(() => setTimeout(() => resolve(performance.now()), 0)))');
  return { renderedMs, interactiveMs };
}

async function rounds(page: Page, url: string, ready: Ready): Promise<{ rendered: number; interactive: number; all: PageTiming[] }> {
  const all: PageTiming[] = [];
  for (let round = 0; round < ROUNDS; round++) all.push(await timePage(page, url, ready));
  return { rendered: median(all.map((t) => t.renderedMs)), interactive: median(all.map((t) => t.interactiveMs)), all };
}

/** The console's scripts as a browser gets them, gzipped. */
function scriptBytes(): { raw: number; gzipped: number; files: number } {
  const assets = path.join(REPO_ROOT, 'web', 'dist', 'assets');
  const files = fs.readdirSync(assets).filter((f) => f.endsWith('.js'));
  if (files.length === 0) throw new Error(`no scripts in ${assets}: run npm run build:web first`);
  let raw = 0;
  let gzipped = 0;
  for (const file of files) {
    const data = fs.readFileSync(path.join(assets, file));
    raw += data.length;
    gzipped += zlib.gzipSync(data, { level: 9 }).length;
  }
  return { raw, gzipped, files: files.length };
}

/**
 * Push-to-timeline latency (bench/console-timeline.ts measures one push): a new app, a key, the
 * `dockerfile-basic` fixture pushed TIMELINE_ROUNDS times while the signed-in page shows the app's
 * Deploys page; the figure is the median from a push's first `remote:` line to its card appearing.
 */
async function pushToTimeline(ctx: { slipway: TestSlipway; page: Page; origin: string }, cleanup: Cleanup): Promise<{ medianMs: number; samples: number[] }> {
  const keyDir = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-bench-key-'));
  cleanup.add('remove the bench key', async () => fs.rmSync(keyDir, { recursive: true, force: true }));
  const key = await makeSshKey(keyDir);
  const added = await ctx.slipway.api('POST', '/keys', { publicKey: key.publicKey });
  if (added.status !== 201) throw new Error(`POST /keys answered ${added.status}`);
  const app = uniqueName('timeline-bench');
  const created = await ctx.slipway.api('POST', '/apps', { name: app });
  if (created.status !== 201) throw new Error(`POST /apps answered ${created.status}`);
  const copy = await WorkingCopy.fromFixture('dockerfile-basic', key.privateKey);
  cleanup.add('remove the working copy', async () => copy.remove());
  await ctx.page.goto(`${ctx.origin}/apps/${app}/deploys`);
  await ctx.page.getByRole('heading', { name: 'No deploys yet' }).waitFor({ timeout: DEADLINE.page });
  const samples: number[] = [];
  for (let round = 1; round <= TIMELINE_ROUNDS; round++) {
    copy.write('round.txt', `${round}\n`);
    await copy.commitAll(`Round ${round}`);
    const result = await measureTimelineLatency(ctx.page, { copy, gitUrl: ctx.slipway.gitUrl(app), privateKey: key.privateKey });
    if (result.pushCode !== 0) throw new Error(`push ${round} failed (exit ${result.pushCode})`);
    samples.push(result.latencyMs);
  }
  return { medianMs: median(samples), samples };
}

// --- The benchmark ---------------------------------------------------------------------------

const ms = (value: number): string => `${Math.round(value)} ms`;
const kb = (bytes: number): string => `${(bytes / 1024).toFixed(1)} kB`;
const verdict = (value: number, goal: number): string => (value <= goal ? 'met' : 'MISSED');

async function main(cleanup: Cleanup): Promise<number> {
  console.log(`Console benchmark: ${APPS} apps, ${APPS * RELEASES_PER_APP} releases, ${ROUNDS} loads per page (median)`);
  console.log(`${machineDescription()}; Slipway ${await slipwayRevision(DEADLINE.cleanupStep)}`);
  const slipway = await withDeadline(startTestSlipway(), DEADLINE.start, 'starting Slipway');
  cleanup.add('close Slipway', () => slipway.close());
  const credentials = JSON.parse(fs.readFileSync(path.join(slipway.stateDir, 'admin-credentials.json'), 'utf8')) as { user: string; password: string };
  const seededMs = await withDeadline(seed(slipway, credentials.user), DEADLINE.seed, 'seeding the database');
  console.log(`Seeded in ${(seededMs / 1000).toFixed(1)} s`);

  // The API's share of the apps list: GET /apps alone, as the page makes it (one request).
  const apiMs: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const t0 = performance.now();
    const listed = await slipway.api<unknown[]>('GET', '/apps');
    apiMs.push(performance.now() - t0);
    if (listed.status !== 200 || listed.body.length < APPS) throw new Error(`GET /apps answered ${listed.status} with ${listed.body.length} apps`);
  }

  const browser = await launchChromium();
  cleanup.add('close Chromium', () => browser.close());
  const page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
  const origin = `http://127.0.0.1:${slipway.platform.apiPort}`;
  await page.goto(`${origin}/`);
  await page.getByLabel('Name').fill(credentials.user);
  await page.getByLabel('Password').fill(credentials.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Apps' }).waitFor({ timeout: DEADLINE.page });

  const list = await rounds(page, `${origin}/`, { selector: 'main tbody tr', count: APPS_PAGE });
  const sample = appName(APPS - 1);
  const metricsStub = /Placeholder/.test(fs.readFileSync(path.join(REPO_ROOT, 'web', 'src', 'pages', 'Metrics.tsx'), 'utf8'));
  const appUrl = metricsStub ? `${origin}/apps/${sample}` : `${origin}/apps/${sample}/metrics`;
  const appReady: Ready = metricsStub
    ? { selector: 'section[aria-labelledby="releases"] tbody tr', count: RELEASES_PER_APP }
    : { selector: 'main svg, main canvas', count: 1 };
  const app = await rounds(page, appUrl, appReady);
  const scripts = scriptBytes();
  const timeline = await pushToTimeline({ slipway, page, origin }, cleanup);

  const rows = [
    [`Apps list, ${APPS} apps (first ${APPS_PAGE} rows)`, ms(list.rendered), ms(list.interactive), `≤ ${GOALS.appsListMs} ms`, verdict(list.interactive, GOALS.appsListMs)],
    [metricsStub ? `App page (overview; metrics page is a stub)` : 'App page, 24 h of metrics', ms(app.rendered), ms(app.interactive), `≤ ${GOALS.appPageMs} ms`, verdict(app.interactive, GOALS.appPageMs)],
    [`JavaScript shipped (${scripts.files} file${scripts.files === 1 ? '' : 's'}, ${kb(scripts.raw)} raw)`, kb(scripts.gzipped), '', `≤ ${GOALS.scriptKb} kB gzipped`, verdict(scripts.gzipped / 1024, GOALS.scriptKb)],
    [`Push to timeline (median of ${timeline.samples.map((t) => Math.round(t)).join(', ')} ms)`, ms(timeline.medianMs), '', `≤ ${GOALS.pushToTimelineMs} ms`, verdict(timeline.medianMs, GOALS.pushToTimelineMs)],
  ];
  console.log('');
  console.log(table(rows, ['Figure', 'Rendered', 'Interactive', 'Goal', 'Result'], [4]));
  console.log('');
  console.log(`Apps list loads (rendered/interactive, ms): ${list.all.map((t) => `${Math.round(t.renderedMs)}/${Math.round(t.interactiveMs)}`).join(', ')}`);
  console.log(`GET /apps with ${APPS} apps (API alone, ms): ${apiMs.map((t) => Math.round(t)).join(', ')}; median ${Math.round(median(apiMs))}`);
  console.log(`Load average during the run (1/5/15 min): ${os.loadavg().map((l) => l.toFixed(1)).join(' / ')} on ${os.cpus().length} cores`);
  console.log(`App page loads (rendered/interactive, ms): ${app.all.map((t) => `${Math.round(t.renderedMs)}/${Math.round(t.interactiveMs)}`).join(', ')}`);
  return 0;
}

runBenchmark(main, { deadlineMs: DEADLINE.whole, cleanupStepMs: DEADLINE.cleanupStep, cleanedUp: 'Cleaned up: Chromium closed, Slipway closed and its state removed.' });
