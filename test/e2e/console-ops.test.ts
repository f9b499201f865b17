/**
 * The console's operations pages in Chromium against a real Slipway with a real Prometheus
 * scraping its router and containers: a real git push, live logs where a request to the app makes
 * its router line appear (and a filter by source), the request rate moving on the metrics page
 * under load (and the apps list's sparkline), a domain added, a Redis add-on created with a backup
 * captured and verified, a phone width, and a viewer told plainly that logs need `operate`. Every
 * page passes axe-core with no serious or critical violation, and the page logs no error and no
 * failed request beyond those a step expects (its log stream cut by leaving the page).
 */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import { expect } from 'chai';
import type { Browser, BrowserContext } from 'playwright-core';
import { CuttableProxy, launchChromium, screenshot, seriousAxeViolations, watchPage, type WatchedPage } from '../support/console-browser';
import { startPrometheus, type TestPrometheus } from '../support/prometheus';
import { makeSshKey, startTestSlipway, uniqueName, WorkingCopy, type TestSlipway } from '../support/slipway';

describe('the console\'s logs, metrics, add-ons and domains pages in a browser (end to end)', function () {
  let slipway: TestSlipway;
  let prometheus: TestPrometheus;
  let browser: Browser;
  let context: BrowserContext;
  let watched: WatchedPage;
  let origin: string;
  let proxy: CuttableProxy;
  let keyDir: string;
  let copy: WorkingCopy | null = null;
  const addons: string[] = [];
  const app = uniqueName('ops');

  const page = () => watched.page;
  const noSeriousAxeViolations = async (where: string) => {
    expect(await seriousAxeViolations(page()), where).to.deep.equal([]);
  };
  /** Leaving the logs page ends its stream: the browser reports that request as aborted. */
  const expectLogStreamCut = () => watched.expectProblem(/\/logs\?.*ERR_ABORTED/);

  /** One request to the app through the router. */
  const hit = (route: string): Promise<number> => new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port: slipway.router.port, path: route, headers: { host: `${app}.${slipway.config.domain}` } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    }).on('error', reject);
  });

  before(async function () {
    prometheus = await startPrometheus();
    slipway = await startTestSlipway({ SLIPWAY_PROMETHEUS_URL: prometheus.url }, { routerAdmin: true });
    const api = `127.0.0.1:${slipway.platform.apiPort}`;
    await prometheus.scrape([
      { job: 'slipway-router', address: `127.0.0.1:${slipway.router.adminPort as number}` },
      { job: 'slipway-containers', address: api, path: '/metrics/containers', tokenFile: slipway.config.metricsTokenFile },
    ]);
    // The browser reaches the API through a proxy the stream-drop test can cut.
    proxy = await CuttableProxy.start(slipway.platform.apiPort);
    origin = `http://127.0.0.1:${proxy.port}`;
    const credentials = JSON.parse(fs.readFileSync(path.join(slipway.stateDir, 'admin-credentials.json'), 'utf8')) as { user: string; password: string };

    expect((await slipway.api('POST', '/apps', { name: app })).status).to.equal(201);
    keyDir = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-console-ops-key-'));
    const key = await makeSshKey(keyDir);
    expect((await slipway.api('POST', '/keys', { publicKey: key.publicKey })).status).to.equal(201);
    copy = await WorkingCopy.fromFixture('dockerfile-basic', key.privateKey);
    const push = await copy.push(slipway.gitUrl(app));
    expect(push.code, push.output).to.equal(0);

    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    watched = await watchPage(await context.newPage());
    await page().goto(`${origin}/`);
    await page().getByLabel('Name').fill(credentials.user);
    await page().getByLabel('Password').fill(credentials.password);
    watched.expectProblem(/status of 401/); // who is signed in: nobody yet
    await page().getByRole('button', { name: 'Sign in' }).click();
    await page().getByRole('link', { name: app, exact: true }).waitFor();
  });

  afterEach(function () {
    const problems = [...watched.problems];
    watched.problems.length = 0;
    expect(problems, 'console errors or failed requests').to.deep.equal([]);
  });

  after(async function () {
    for (const name of addons) await slipway?.api('DELETE', `/addons/${name}?confirm=${name}&detachAll=true`);
    await browser?.close();
    await prometheus?.close();
    await proxy?.close();
    copy?.remove();
    if (keyDir) fs.rmSync(keyDir, { recursive: true, force: true });
    await slipway?.close();
  });

  it('shows live logs: a request to the app makes its router line appear, and the source filter keeps only that source', async function () {
    await page().goto(`${origin}/apps/${app}/logs`);
    await page().getByRole('heading', { name: 'Logs' }).waitFor();
    await page().getByText('Following live.').waitFor();
    // The build and the platform's release lines of the push are in the history.
    await page().locator('.log-build').first().waitFor();
    await page().locator('.log-slipway').first().waitFor();

    const marker = `/seen-in-the-console-${crypto.randomBytes(4).toString('hex')}`;
    expect(await hit(marker)).to.equal(200);
    await page().locator('.log-router', { hasText: marker }).waitFor();
    await noSeriousAxeViolations('logs');
    await screenshot(page(), 'logs');

    await page().getByLabel('Source').selectOption('router');
    await page().locator('.log-router', { hasText: marker }).waitFor();
    expect(await page().locator('.log-build').count(), 'no build line under the router filter').to.equal(0);
    const second = `/second-${crypto.randomBytes(4).toString('hex')}`;
    await page().getByRole('button', { name: 'Pause' }).click();
    expect(await hit(second)).to.equal(200);
    await page().getByRole('button', { name: /Resume \(1 new\)/ }).waitFor();
    expect(await page().locator('.log-line', { hasText: second }).count(), 'held while paused').to.equal(0);
    await page().getByRole('button', { name: /Resume/ }).click();
    await page().locator('.log-router', { hasText: second }).waitFor();
    expectLogStreamCut(); // the filter's change ended the first stream
  });

  it('says so when the log stream drops, and resumes where it left off: no line lost, none repeated', async function () {
    const before = `/before-the-drop-${crypto.randomBytes(4).toString('hex')}`;
    expect(await hit(before)).to.equal(200);
    await page().locator('.log-router', { hasText: before }).waitFor();
    proxy.drop();
    await page().getByText('The log stream is interrupted; reconnecting.').waitFor();
    const during = `/during-the-drop-${crypto.randomBytes(4).toString('hex')}`;
    expect(await hit(during)).to.equal(200);
    proxy.restore();
    // The line written while the stream was down arrives once the stream is back.
    await page().locator('.log-router', { hasText: during }).waitFor({ timeout: 60_000 });
    await page().getByText('Following live.').waitFor();
    expect(await page().locator('.log-router', { hasText: before }).count(), 'the line before the drop, once').to.equal(1);
    expect(await page().locator('.log-router', { hasText: during }).count(), 'the line during the drop, once').to.equal(1);
    // The cut streams (logs and live events) and their refused reconnects.
    watched.expectProblem(/\/api\/v1\/events|\/logs\?|ERR_CONNECTION|ERR_EMPTY_RESPONSE|ERR_INCOMPLETE_CHUNKED_ENCODING|ERR_NETWORK_CHANGED/);
  });

  it('draws the request rate moving under load, in the metrics charts and the apps list\'s sparkline', async function () {
    await page().getByRole('link', { name: 'Metrics' }).click();
    expectLogStreamCut();
    await page().getByRole('heading', { name: 'Metrics' }).waitFor();
    await page().getByRole('img', { name: /^Requests per second, latest/ }).waitFor();

    let loading = true;
    const load = (async () => { while (loading) await hit('/under-load'); })();
    try {
      // The page asks again every 10 s; Prometheus scrapes every second: the rate shows within a few refreshes.
      await page().getByRole('img', { name: /^Requests per second, latest: requests [0-9.]*[1-9][0-9.]*\/s/ }).waitFor({ timeout: 120_000 });
      await page().getByRole('img', { name: /^Response time, latest: p50 [0-9.]+ ms/ }).waitFor({ timeout: 60_000 });
      await page().getByRole('img', { name: /^Memory per process type, latest: web RSS [0-9.]+ [kMG]?B/ }).waitFor({ timeout: 60_000 });
    } finally {
      loading = false;
      await load;
    }
    await noSeriousAxeViolations('metrics');
    await screenshot(page(), 'metrics');
    await page().getByRole('button', { name: '7 days' }).click();
    await page().getByText(/^Every 1 min/).waitFor();

    await page().getByRole('link', { name: 'Apps', exact: true }).first().click();
    await page().getByRole('img', { name: new RegExp(`^${app}: requests per second over the last hour, now`) }).waitFor({ timeout: 120_000 });
    await noSeriousAxeViolations('apps list with sparklines');
    await screenshot(page(), 'apps-sparklines');
  });

  it('adds a domain and shows it, with no certificate yet', async function () {
    await page().goto(`${origin}/apps/${app}/domains`);
    await page().getByRole('heading', { name: 'Domains' }).waitFor();
    const hostname = `www.${app}.example.com`;
    await page().getByLabel('Hostname').fill(hostname);
    await page().getByRole('button', { name: 'Add domain' }).click();
    await page().getByText(`${hostname} is added.`).waitFor();
    await page().getByRole('row', { name: new RegExp(hostname.replace(/\./g, '\\.')) }).getByText('no certificate').waitFor();
    const domains = await slipway.api<Array<{ hostname: string }>>('GET', `/apps/${app}/domains`);
    expect(domains.body.map((d) => d.hostname)).to.include(hostname);
    await noSeriousAxeViolations('domains');
    await screenshot(page(), 'domains');
  });

  it('creates a Redis add-on, shows it bound as REDIS_URL, and captures a backup that ends verified', async function () {
    await page().getByRole('link', { name: 'Add-ons' }).click();
    await page().getByRole('heading', { name: 'Add-ons' }).waitFor();
    await page().getByText('No add-ons yet.').waitFor();
    await page().getByLabel('Kind').selectOption('redis');
    await page().getByRole('button', { name: 'Create', exact: true }).click();
    await page().getByText(/is being provisioned/).waitFor();
    const listed = await slipway.api<Array<{ name: string }>>('GET', `/addons?app=${app}`);
    addons.push(...listed.body.map((a) => a.name));
    expect(addons).to.have.length(1);
    const name = addons[0]!;

    const card = page().getByRole('region', { name });
    await card.getByText(/^available/).waitFor({ timeout: 120_000 });
    await card.getByText('REDIS_URL').waitFor();
    await card.getByRole('button', { name: 'Capture a backup' }).click();
    await card.getByText('verified', { exact: true }).waitFor({ timeout: 180_000 });
    const download = card.getByRole('link', { name: 'Download backup b001' });
    const href = await download.getAttribute('href');
    const fetched = await page().evaluate(async (url) => {
      const response = await fetch(url);
      return { status: response.status, type: response.headers.get('content-type'), size: (await response.arrayBuffer()).byteLength };
    }, href as string);
    expect(fetched.status).to.equal(200);
    expect(fetched.type).to.equal('application/gzip');
    expect(fetched.size).to.be.greaterThan(0);

    // Destroying asks for the name to be typed.
    await card.getByRole('button', { name: 'Destroy…' }).click();
    expect(await card.getByRole('button', { name: `Destroy ${name}` }).isDisabled()).to.equal(true);
    await noSeriousAxeViolations('add-ons');
    await screenshot(page(), 'addons');
    await card.getByRole('button', { name: 'Cancel' }).click();
  });

  it('is readable at a phone width', async function () {
    await page().setViewportSize({ width: 390, height: 844 });
    await page().getByRole('link', { name: 'Logs' }).click();
    await page().getByText('Following live.').waitFor();
    const overflow = await page().evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
    expect(overflow, 'no sideways scrolling of the page').to.be.at.most(0);
    await noSeriousAxeViolations('logs, phone');
    await screenshot(page(), 'logs-phone');
    await page().getByRole('link', { name: 'Metrics' }).click();
    expectLogStreamCut();
    await page().getByRole('img', { name: /^Requests per second/ }).waitFor();
    const metricsOverflow = await page().evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
    expect(metricsOverflow, 'no sideways scrolling of the metrics page').to.be.at.most(0);
    await page().setViewportSize({ width: 1280, height: 800 });
  });

  it('tells a viewer plainly that logs and metrics need the operate permission', async function () {
    const teamName = (await slipway.api<Array<{ name: string; team?: string }>>('GET', '/apps')).body.find((a) => a.name === app)?.team;
    expect(teamName).to.be.a('string');
    const viewer = uniqueName('viewer');
    const password = crypto.randomBytes(12).toString('hex');
    expect((await slipway.api('POST', '/users', { name: viewer, email: `${viewer}@example.com`, password })).status).to.equal(201);
    expect((await slipway.api('POST', `/teams/${teamName}/members`, { user: viewer, role: 'viewer' })).status).to.equal(201);

    const viewerContext = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const other = await watchPage(await viewerContext.newPage());
    try {
      await other.page.goto(`${origin}/`);
      await other.page.getByLabel('Name').fill(viewer);
      await other.page.getByLabel('Password').fill(password);
      await other.page.getByRole('button', { name: 'Sign in' }).click();
      await other.page.getByRole('link', { name: app, exact: true }).waitFor();
      await other.page.goto(`${origin}/apps/${app}/logs`);
      await other.page.getByRole('heading', { name: 'You cannot read this app\'s logs' }).waitFor();
      await other.page.getByText(/needs the operate permission/).waitFor();
      expect(await seriousAxeViolations(other.page), 'logs refused').to.deep.equal([]);
      await screenshot(other.page, 'logs-viewer');
      await other.page.getByRole('link', { name: 'Metrics' }).click();
      await other.page.getByRole('heading', { name: 'You cannot read this app\'s metrics' }).waitFor();
      other.expectProblem(/status of 40[13]/); // who is signed in before sign-in; the refusals themselves
      expect(other.problems).to.deep.equal([]);
    } finally {
      await viewerContext.close();
    }
  });
});
