/**
 * The live deploy timeline in Chromium against a real Slipway: a `git push` made by the test
 * appears on the page and reaches "routed" with every phase done; a failing build shows its
 * failure in place with the build's lines; the live stream cut in the middle of a deploy is said,
 * reconnects, and the page ends on the deploy's real outcome. axe-core on each state, and no
 * console error or failed request the test did not provoke.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import type { Browser } from 'playwright-core';
import { CuttableProxy, launchChromium, screenshot, seriousAxeViolations, SCREENSHOTS, watchPage, type WatchedPage } from '../support/console-browser';
import { card, phasesOf, shownDeployIds, signIn, waitForNewDeploy } from '../support/console-deploys';
import { makeSshKey, REPO_ROOT, startTestSlipway, uniqueName, WorkingCopy, type TestSlipway } from '../support/slipway';

const ALL_DONE = ['receive:ok', 'build:ok', 'push:ok', 'release-phase:skipped', 'start:ok', 'checks:ok', 'routed:ok'];

describe('the deploy timeline in a browser (end to end)', function () {
  let slipway: TestSlipway;
  let browser: Browser;
  let watched: WatchedPage;
  let origin: string;
  let proxy: CuttableProxy;
  let keyDir = '';
  let copy: WorkingCopy | null = null;
  const app = uniqueName('timeline');

  const page = () => watched.page;
  const noSeriousAxeViolations = async (where: string) => {
    expect(await seriousAxeViolations(page()), where).to.deep.equal([]);
  };

  before(async function () {
    slipway = await startTestSlipway();
    proxy = await CuttableProxy.start(slipway.platform.apiPort);
    origin = `http://127.0.0.1:${proxy.port}`;
    const credentials = JSON.parse(fs.readFileSync(path.join(slipway.stateDir, 'admin-credentials.json'), 'utf8')) as { user: string; password: string };
    expect((await slipway.api('POST', '/apps', { name: app })).status).to.equal(201);
    keyDir = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-timeline-key-'));
    const key = await makeSshKey(keyDir);
    expect((await slipway.api('POST', '/keys', { publicKey: key.publicKey })).status).to.equal(201);
    copy = await WorkingCopy.fromFixture('dockerfile-basic', key.privateKey);
    browser = await launchChromium();
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    watched = await watchPage(await context.newPage());
    await signIn(page(), origin, credentials);
    watched.expectProblem(/status of 401/); // the page asked who is signed in before the sign-in
  });

  afterEach(function () {
    // The build log's stream is ended by the page when the build ends: not a failure.
    watched.expectProblem(/\/logs\?.*ERR_ABORTED/);
    // Other tests on this shared host create Docker networks; Chromium then aborts requests in flight.
    watched.expectProblem(/ERR_NETWORK_CHANGED/);
    const problems = [...watched.problems];
    watched.problems.length = 0;
    expect(problems, 'console errors, failed requests or CSP violations').to.deep.equal([]);
  });

  after(async function () {
    await browser?.close();
    await proxy?.close();
    copy?.remove();
    if (keyDir) fs.rmSync(keyDir, { recursive: true, force: true });
    await slipway?.close();
  });

  it('shows a git push as it happens, phase by phase, until it is routed', async function () {
    await page().goto(`${origin}/apps/${app}/deploys`);
    await page().getByRole('heading', { name: 'No deploys yet' }).waitFor();
    await noSeriousAxeViolations('deploys, none yet');

    const pushing = copy!.push(slipway.gitUrl(app));
    const id = await waitForNewDeploy(page(), []);
    // It appeared while the push still ran: the page shows it in progress.
    await page().locator(`${card(id)} [data-phase="routed"][data-outcome="ok"]`).waitFor({ timeout: 300_000 });
    const push = await pushing;
    expect(push.code, push.output).to.equal(0);
    await page().locator(`${card(id)}[data-status="succeeded"]`).waitFor();
    // The first deploy has no old instances to drain.
    await page().locator(`${card(id)} [data-phase="drained"][data-outcome="skipped"]`).waitFor();
    expect(await phasesOf(page(), id)).to.deep.equal([...ALL_DONE, 'drained:skipped']);
    expect(await page().locator(`${card(id)} [data-phase="build"] .phase-detail`).textContent()).to.equal('Dockerfile');
    await noSeriousAxeViolations('deploys, one routed');

    // The overview's latest release links to it.
    await page().getByRole('link', { name: 'Overview' }).click();
    await page().getByRole('link', { name: 'its deploy, phase by phase' }).click();
    await page().locator(card(id)).waitFor();
  });

  it('shows a failing build in place, with its reason and the build\'s lines that explain it', async function () {
    const before = await shownDeployIds(page());
    copy!.write('Dockerfile', `${fs.readFileSync(path.join(REPO_ROOT, 'test', 'fixtures', 'apps', 'dockerfile-basic', 'Dockerfile'), 'utf8')}`
      + 'RUN echo "timeline-test: the schema file is missing" && exit 3\n');
    await copy!.commitAll('A build that fails');
    const push = await copy!.push(slipway.gitUrl(app));
    expect(push.code, push.output).to.not.equal(0);

    const id = await waitForNewDeploy(page(), before);
    await page().locator(`${card(id)}[data-status="failed"]`).waitFor();
    const build = page().locator(`${card(id)} [data-phase="build"]`);
    await build.locator('.phase-failure').waitFor();
    expect(await build.getAttribute('data-outcome')).to.equal('failed');
    expect(await build.locator('.failure-lines').textContent()).to.contain('timeline-test: the schema file is missing');
    expect(await phasesOf(page(), id)).to.deep.equal(['receive:ok', 'build:failed', 'push:pending', 'release-phase:pending', 'start:pending',
      'checks:pending', 'routed:pending', 'drained:pending']);
    await page().locator(`${card(id)} [data-phase="routed"] .phase-outcome`, { hasText: 'not reached' }).waitFor();
    await noSeriousAxeViolations('deploys, a failed build');
  });

  it('says when the live stream drops in the middle of a deploy, reconnects, and ends on the deploy\'s outcome', async function () {
    const before = await shownDeployIds(page());
    copy!.replaceWith('dockerfile-basic');
    copy!.write('version.txt', 'second\n');
    await copy!.commitAll('Deploy again');
    const pushing = copy!.push(slipway.gitUrl(app));
    const id = await waitForNewDeploy(page(), before);
    await page().locator(`${card(id)}[data-status="running"]`).waitFor();

    proxy.drop();
    await page().getByText('Live updates are down').waitFor();
    const push = await pushing; // git reaches Slipway over SSH, not through the cut proxy
    expect(push.code, push.output).to.equal(0);
    proxy.restore();

    await page().locator(`${card(id)}[data-status="succeeded"]`).waitFor({ timeout: 60_000 });
    await page().getByText('Live: a push appears here as it happens.').waitFor();
    // The second deploy replaced v1's instance: it was drained once the new one was routed.
    await page().locator(`${card(id)} [data-phase="drained"][data-outcome="ok"]`).waitFor({ timeout: 60_000 });
    expect(await phasesOf(page(), id)).to.deep.equal([...ALL_DONE, 'drained:ok']);
    // Requests the page made while the network was cut.
    watched.expectProblem(/\/api\/v1\/|ERR_CONNECTION|ERR_EMPTY_RESPONSE|ERR_INCOMPLETE_CHUNKED_ENCODING|Failed to load resource/);
    await noSeriousAxeViolations('deploys, after the stream came back');
    await screenshot(page(), 'deploys');
    // The documentation's picture of the page (docs/console.md).
    fs.copyFileSync(path.join(SCREENSHOTS, 'deploys.png'), path.join(REPO_ROOT, 'docs', 'console', 'deploys.png'));
  });

  it('shows a finished build\'s whole output when asked, after a reload, for the latest deploy and an earlier failed one', async function () {
    await page().reload();
    await page().locator('[data-deploy]').nth(2).waitFor();
    const [latest, ...older] = await shownDeployIds(page());
    await page().locator(`${card(latest!)}[data-status="succeeded"]`).waitFor();
    await page().locator(card(latest!)).getByRole('button', { name: /^Show the build output of build / }).click();
    const shown = page().locator(`${card(latest!)} .build-log pre`);
    await shown.waitFor();
    expect(await shown.textContent()).to.match(/Building with the Dockerfile/);
    await noSeriousAxeViolations('deploys, a build output shown');

    const failed = [];
    for (const id of older) if (await page().locator(`${card(id)}[data-status="failed"]`).count() === 1) failed.push(id);
    expect(failed).to.have.length(1);
    await page().locator(card(failed[0]!)).getByRole('button', { name: /^Show the build output of build / }).click();
    await page().locator(`${card(failed[0]!)} .build-log pre`).getByText('timeline-test: the schema file is missing').first().waitFor();
    await page().locator(card(failed[0]!)).getByRole('button', { name: 'Hide the build output' }).click();
    expect(await page().locator(`${card(failed[0]!)} .build-log pre`).count()).to.equal(0);
  });
});
