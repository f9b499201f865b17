/**
 * The web console in Chromium against a real Slipway (test/support/slipway.ts): sign in, the apps
 * list and its empty state, an app created elsewhere appearing live, an app created from the page,
 * a real git push, a config var set from the page making a new release, scaling, a phone width and
 * the dark theme, CSRF refusals, sign-out. Every page passes axe-core with no serious or critical
 * violation, and the page logs no error, no failed request and no CSP violation.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import type { Browser, BrowserContext } from 'playwright-core';
import { CuttableProxy, launchChromium, screenshot, seriousAxeViolations, watchPage, type WatchedPage } from '../support/console-browser';
import { makeSshKey, startTestSlipway, uniqueName, WorkingCopy, type TestSlipway } from '../support/slipway';

describe('the web console in a browser (end to end)', function () {
  let slipway: TestSlipway;
  let browser: Browser;
  let context: BrowserContext;
  let watched: WatchedPage;
  let origin: string;
  let proxy: CuttableProxy;
  let credentials: { user: string; password: string };
  let keyDir: string;
  let copy: WorkingCopy | null = null;
  const app = uniqueName('console');
  const other = uniqueName('elsewhere');

  const page = () => watched.page;
  const noSeriousAxeViolations = async (where: string) => {
    expect(await seriousAxeViolations(page()), where).to.deep.equal([]);
  };

  before(async function () {
    slipway = await startTestSlipway();
    // The browser reaches the API through a proxy the stream-drop test can cut.
    proxy = await CuttableProxy.start(slipway.platform.apiPort);
    origin = `http://127.0.0.1:${proxy.port}`;
    credentials = JSON.parse(fs.readFileSync(path.join(slipway.stateDir, 'admin-credentials.json'), 'utf8')) as { user: string; password: string };
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    watched = await watchPage(await context.newPage());
  });

  afterEach(function () {
    // Whatever a test left in the page's log is a failure of that test.
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

  it('signs in with the name and password, and shows the apps list with what to do first', async function () {
    await page().goto(`${origin}/`);
    await page().getByRole('heading', { name: 'Sign in to Slipway' }).waitFor();
    watched.expectProblem(/status of 401/); // the page asks who is signed in: nobody yet
    await noSeriousAxeViolations('sign-in page');
    await screenshot(page(), 'sign-in');

    await page().getByLabel('Name').fill(credentials.user);
    await page().getByLabel('Password').fill('not the password');
    await page().getByRole('button', { name: 'Sign in' }).click();
    await page().getByText('Wrong user name or password').waitFor();
    watched.expectProblem(/status of 401/);

    await page().getByLabel('Password').fill(credentials.password);
    await page().getByRole('button', { name: 'Sign in' }).click();
    await page().getByRole('heading', { name: 'Apps' }).waitFor();
    await page().getByText('slipway apps:create my-app').waitFor();
    await page().getByText(`git remote add slipway ssh://git@`).waitFor();
    await page().getByText('git push slipway main').waitFor();
    expect(await page().evaluate<string>('document.cookie'), 'the session cookie is not readable by scripts').to.equal('');
    await noSeriousAxeViolations('apps list, empty');
    await screenshot(page(), 'apps-empty');
  });

  it('shows an app created elsewhere at once, over the live stream, without a reload', async function () {
    const created = await slipway.api('POST', '/apps', { name: other });
    expect(created.status).to.equal(201);
    await page().getByRole('link', { name: other, exact: true }).waitFor();
  });

  it('creates an app from the page and shows how to push to it', async function () {
    await page().getByLabel('New app').fill(app);
    await page().getByRole('button', { name: 'Create app' }).click();
    await page().getByRole('heading', { name: app, exact: true }).waitFor();
    expect(new URL(page().url()).pathname).to.equal(`/apps/${app}`);
    await page().getByRole('heading', { name: 'Nothing deployed yet' }).waitFor();
    await page().getByText(`git remote add slipway ${slipway.gitUrl(app)}`).waitFor();
    await noSeriousAxeViolations('app overview, nothing deployed');
    await screenshot(page(), 'app-new');
  });

  it('sets a config var of a deployed app from the page, and shows the new release', async function () {
    keyDir = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-console-key-'));
    const key = await makeSshKey(keyDir);
    expect((await slipway.api('POST', '/keys', { publicKey: key.publicKey })).status).to.equal(201);
    copy = await WorkingCopy.fromFixture('dockerfile-basic', key.privateKey);
    const push = await copy.push(slipway.gitUrl(app));
    expect(push.code, push.output).to.equal(0);

    // The deploy reaches the open page over the live stream.
    await page().getByText('v1', { exact: true }).first().waitFor();
    await page().getByRole('link', { name: 'Config vars' }).click();
    await page().getByRole('heading', { name: 'Config vars' }).waitFor();
    await page().getByLabel('Name', { exact: true }).fill('GREETING');
    await page().getByLabel('Value', { exact: true }).fill('hello from the console');
    await page().getByRole('button', { name: 'Add', exact: true }).click();
    await page().getByText('Saved: release v2 is live.').waitFor({ timeout: 120_000 });
    expect(await page().getByText('hello from the console').count(), 'values stay hidden until revealed').to.equal(0);
    await page().getByRole('button', { name: 'Reveal GREETING' }).click();
    await page().getByText('hello from the console').waitFor();
    await noSeriousAxeViolations('config vars');
    await screenshot(page(), 'config-vars');

    await page().getByRole('link', { name: 'Overview' }).click();
    await page().getByRole('cell', { name: 'Set GREETING config vars' }).waitFor();
    await page().getByRole('button', { name: 'Roll back to v1' }).waitFor();
    await noSeriousAxeViolations('app overview, deployed');
    await screenshot(page(), 'app-overview');
  });

  it('shows the formation on the scaling page', async function () {
    await page().getByRole('link', { name: 'Scaling' }).click();
    await page().getByRole('heading', { name: 'Scaling' }).waitFor();
    await page().getByLabel('Instances').waitFor();
    expect(await page().getByLabel('Instances').inputValue()).to.equal('1');
    await noSeriousAxeViolations('scaling');
    await screenshot(page(), 'scaling');
  });

  it('is readable at a phone width and in the dark theme', async function () {
    await page().setViewportSize({ width: 390, height: 844 });
    await page().emulateMedia({ colorScheme: 'dark' });
    await page().getByRole('link', { name: 'Apps', exact: true }).first().click();
    await page().getByRole('link', { name: app, exact: true }).waitFor();
    const overflow = await page().evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
    expect(overflow, 'no sideways scrolling of the page').to.be.at.most(0);
    await noSeriousAxeViolations('apps list, phone, dark');
    await screenshot(page(), 'apps-phone-dark');
    await page().setViewportSize({ width: 1280, height: 800 });
    await page().emulateMedia({ colorScheme: 'light' });
  });

  it('says so when the live stream drops, and catches up on what changed when it is back', async function () {
    await page().getByRole('link', { name: 'Apps', exact: true }).first().click();
    await page().getByRole('link', { name: app, exact: true }).waitFor();
    proxy.drop();
    await page().getByText('Live updates are interrupted').waitFor();
    const during = uniqueName('during');
    expect((await slipway.api('POST', '/apps', { name: during })).status).to.equal(201);
    proxy.restore();
    await page().getByRole('link', { name: during, exact: true }).waitFor({ timeout: 30_000 });
    await page().getByText('Live updates are interrupted').waitFor({ state: 'detached' });
    // The stream's reconnects that failed while the network was cut.
    watched.expectProblem(/\/api\/v1\/events|ERR_CONNECTION|ERR_EMPTY_RESPONSE|ERR_INCOMPLETE_CHUNKED_ENCODING/);
  });

  it('refuses a change made with the session cookie but without the CSRF token, or from another origin', async function () {
    const forged = await page().evaluate(async () => {
      const response = await fetch('/api/v1/apps', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'forged-app' }) });
      return { status: response.status, body: await response.json() as { error: { code: string } } };
    });
    watched.expectProblem(/status of 403/);
    expect(forged.status).to.equal(403);
    expect(forged.body.error.code).to.equal('csrf_refused');

    const cookie = (await context.cookies(`${origin}/api/v1/session`)).map((c) => `${c.name}=${c.value}`).join('; ');
    const session = await (await fetch(`${origin}/api/v1/session`, { headers: { cookie } })).json() as { csrfToken: string };
    const crossSite = await fetch(`${origin}/api/v1/apps`, {
      method: 'POST',
      headers: { cookie, 'x-csrf-token': session.csrfToken, origin: 'http://evil.example', 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'forged-app' }),
    });
    expect(crossSite.status).to.equal(403);
    expect((await slipway.api<{ name: string }[]>('GET', '/apps')).body.map((a) => a.name)).to.not.include('forged-app');
  });

  it('signs out: the session no longer works, and a request answered 401 afterwards does not change what it says', async function () {
    // A reload of the apps list is held in flight until the session has ended: its late 401 used
    // to replace "You are signed out." by "Your session has ended" (CI saw it once).
    await page().getByRole('link', { name: 'Apps', exact: true }).first().click();
    await page().getByRole('link', { name: app, exact: true }).waitFor();
    let release: () => void = () => {};
    const released = new Promise<void>((resolve) => { release = resolve; });
    let held: () => void = () => {};
    const holding = new Promise<void>((resolve) => { held = resolve; });
    await page().route('**/api/v1/apps', async (route) => {
      if (route.request().method() !== 'GET') return route.continue();
      held();
      await released;
      return route.continue();
    }, { times: 1 });
    expect((await slipway.api('POST', '/apps', { name: uniqueName('late') })).status).to.equal(201);
    await holding;
    await page().getByRole('button', { name: 'Sign out' }).click();
    await page().getByText('You are signed out.').waitFor();
    const late = page().waitForResponse((response) => new URL(response.url()).pathname === '/api/v1/apps');
    release();
    const answer = await late;
    expect(answer.status(), 'the held request, sent with the ended session').to.equal(401);
    await answer.finished();
    // The page has read that answer; two frames later whatever it changed has been drawn.
    await page().evaluate('new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)))');
    await page().getByRole('heading', { name: 'Sign in to Slipway' }).waitFor();
    expect(await page().getByText('You are signed out.').count(), 'what the page says after the late 401').to.equal(1);
    const after = await page().evaluate(async () => (await fetch('/api/v1/apps')).status);
    watched.expectProblem(/status of 401/);
    expect(after).to.equal(401);
  });
});
