/**
 * Console benchmark figure (issue 14): the time from a push's first `remote:` line to the deploy
 * timeline showing that push in Chromium (goal <= 500 ms). `measureTimelineLatency` measures it
 * once on a page already signed in and open at the app's Deploys page; `bench/console.ts` calls it
 * among the other console figures. Run alone: `npm run bench:console-timeline` (a whole
 * in-process Slipway, a new app, Chromium from Debian, a few pushes; everything removed after).
 *
 * Method: the page records (Date.now(), in a MutationObserver) when a deploy card newer than the
 * ones shown before the push appears; Node records (Date.now()) when the push's first `remote:`
 * line arrives on git's output. Both clocks are the same host's. A negative figure means the page
 * showed the push before git printed its first line.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { CuttableProxy, launchChromium } from '../test/support/console-browser';
import { shownDeployIds, signIn } from '../test/support/console-deploys';
import { WorkingCopy, uniqueName } from '../test/support/slipway';
import { gitSshCommand, machineActivity, median, runBenchmark, startBenchSlipway, withDeadline, type Cleanup } from './support';

export const TIMELINE_GOAL_MS = 500;

const DEADLINE = { whole: 20 * 60_000, push: 5 * 60_000, cleanupStep: 60_000 } as const;

export interface TimelineLatency {
  /** ms from the first `remote:` line to the push shown on the timeline. */
  latencyMs: number;
  /** ms from the start of `git push` to its first `remote:` line. */
  firstRemoteMs: number;
  pushCode: number;
}

/** `git push url main`, telling when its first `remote:` line arrives (Date.now()). */
function pushWatchingFirstRemote(dir: string, url: string, privateKey: string): { firstRemote: Promise<number>; done: Promise<number> } {
  const child = spawn('git', ['push', url, 'main'], {
    cwd: dir, env: { ...process.env, GIT_SSH_COMMAND: gitSshCommand(privateKey) }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let seen: (at: number) => void = () => {};
  const firstRemote = new Promise<number>((resolve) => { seen = resolve; });
  let text = '';
  const take = (chunk: string): void => {
    const at = Date.now();
    text += chunk;
    if (/(^|\n)remote:/.test(text)) seen(at);
  };
  child.stdout.setEncoding('utf8').on('data', take);
  child.stderr.setEncoding('utf8').on('data', take);
  const done = new Promise<number>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve(code ?? 1));
  });
  return { firstRemote, done };
}

/**
 * One push measured. `page` is signed in and shows `/apps/<app>/deploys`; `copy` holds a commit
 * not yet pushed. Resolves once the push has ended.
 */
export async function measureTimelineLatency(page: Page, options: { copy: WorkingCopy; gitUrl: string; privateKey: string }): Promise<TimelineLatency> {
  const before = await shownDeployIds(page);
  // The moment is written on <html data-timeline-shown="…"> (waited for with a locator: the CSP allows no string evaluation later).
  await page.evaluate(`(() => {
    const known = new Set(${JSON.stringify(before)});
    document.documentElement.removeAttribute('data-timeline-shown');
    const newer = () => [...document.querySelectorAll('[data-deploy]')].some((e) => !known.has(Number(e.dataset.deploy)));
    const observer = new MutationObserver(() => {
      if (newer()) { document.documentElement.setAttribute('data-timeline-shown', String(Date.now())); observer.disconnect(); }
    });
    observer.observe(document.body, { childList: true, subtree: true, attributes: true });
  })()`);
  const started = Date.now();
  const push = pushWatchingFirstRemote(options.copy.dir, options.gitUrl, options.privateKey);
  const firstRemoteAt = await withDeadline(push.firstRemote, DEADLINE.push, 'the push\'s first remote: line');
  await page.locator('html[data-timeline-shown]').waitFor({ state: 'attached', timeout: 60_000 });
  const shownAt = Number(await page.locator('html').getAttribute('data-timeline-shown'));
  const pushCode = await withDeadline(push.done, DEADLINE.push, 'git push');
  return { latencyMs: shownAt - firstRemoteAt, firstRemoteMs: firstRemoteAt - started, pushCode };
}

async function main(cleanup: Cleanup): Promise<number> {
  const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
  const { slipway, docker, privateKey, createApp } = await startBenchSlipway(cleanup, DEADLINE.whole);
  const activityBefore = await machineActivity(docker);
  const app = uniqueName('timeline-bench');
  await createApp(app);
  const credentials = JSON.parse(fs.readFileSync(path.join(slipway.stateDir, 'admin-credentials.json'), 'utf8')) as { user: string; password: string };
  const copy = await WorkingCopy.fromFixture('dockerfile-basic', privateKey);
  cleanup.add('remove the working copy', async () => copy.remove());
  // The same path as the browser tests: the page reaches the API through a local TCP proxy.
  const proxy = await CuttableProxy.start(slipway.platform.apiPort);
  cleanup.add('close the proxy', () => proxy.close());
  const browser = await launchChromium();
  cleanup.add('close Chromium', () => browser.close());
  const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  const origin = `http://127.0.0.1:${proxy.port}`;
  await signIn(page, origin, credentials);
  await page.goto(`${origin}/apps/${app}/deploys`);
  await page.getByRole('heading', { name: 'No deploys yet' }).waitFor();
  await page.getByText('Live: a push appears here as it happens.').waitFor();

  const results: TimelineLatency[] = [];
  for (let round = 1; round <= rounds; round++) {
    copy.write('round.txt', `${round}\n`);
    await copy.commitAll(`Round ${round}`);
    const result = await measureTimelineLatency(page, { copy, gitUrl: slipway.gitUrl(app), privateKey });
    if (result.pushCode !== 0) throw new Error(`push ${round} failed (exit ${result.pushCode})`);
    console.log(`push ${round}: first remote: line ${result.firstRemoteMs} ms after git push started; on the timeline ${result.latencyMs} ms after it`);
    results.push(result);
  }
  const figure = median(results.map((r) => r.latencyMs));
  console.log(`\nFirst remote: line -> shown on the timeline: median ${figure} ms over ${rounds} pushes (goal <= ${TIMELINE_GOAL_MS} ms): ${figure <= TIMELINE_GOAL_MS ? 'MET' : 'MISSED'}`);
  console.log(`Machine: ${os.cpus().length} CPUs; activity before: ${activityBefore}; after: ${await machineActivity(docker)}`);
  return 0;
}

if (require.main === module) {
  runBenchmark(main, {
    deadlineMs: DEADLINE.whole,
    cleanupStepMs: DEADLINE.cleanupStep,
    cleanedUp: 'Cleaned up (app destroyed, Chromium and Slipway closed, temp dirs deleted).',
  });
}
