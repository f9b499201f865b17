/**
 * The console's administration pages in Chromium against a real Slipway: an admin creates a user
 * (its generated password shown once) and a team, makes the user a viewer of it; the viewer signs in
 * in a second browser and sees no config value and no button that would change the app; a request
 * forged from the viewer's page (session cookie and CSRF token both present) is refused by the API;
 * a change from another origin is refused; the activity feed shows the admin's changes live; the
 * capacity page shows figures. Every page passes axe-core, logs no error and no failed request, and
 * is photographed (test-output/console/admin-*.png, copied to docs/console/).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, screenshot, seriousAxeViolations, watchPage, type WatchedPage } from '../support/console-browser';
import { makeSshKey, startTestSlipway, uniqueName, WorkingCopy, type TestSlipway } from '../support/slipway';

describe('the console\'s admin pages and permissions in a browser (end to end)', function () {
  let slipway: TestSlipway;
  let browser: Browser;
  let adminPage: WatchedPage;
  let viewerPage: WatchedPage | null = null;
  let origin: string;
  let credentials: { user: string; password: string };
  let keyDir: string | null = null;
  let copy: WorkingCopy | null = null;
  const viewer = uniqueName('vic');
  const helper = uniqueName('carol');
  const team = uniqueName('acme');
  const app = uniqueName('shop');
  let viewerPassword = '';

  const watchedPages = () => [adminPage, ...(viewerPage ? [viewerPage] : [])];
  const check = async (page: Page, where: string, shot: string) => {
    expect(await seriousAxeViolations(page), where).to.deep.equal([]);
    await screenshot(page, shot);
  };

  async function signIn(page: Page, name: string, password: string): Promise<void> {
    await page.goto(`${origin}/`);
    await page.getByRole('heading', { name: 'Sign in to Slipway' }).waitFor();
    await page.getByLabel('Name').fill(name);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Apps' }).waitFor();
  }

  before(async function () {
    slipway = await startTestSlipway();
    origin = `http://127.0.0.1:${slipway.platform.apiPort}`;
    credentials = JSON.parse(fs.readFileSync(path.join(slipway.stateDir, 'admin-credentials.json'), 'utf8')) as { user: string; password: string };
    browser = await launchChromium();
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    adminPage = await watchPage(await context.newPage());
  });

  afterEach(function () {
    const problems: string[] = [];
    for (const watched of watchedPages()) {
      // A live audit feed the page closed when it moved on is not a failure.
      watched.expectProblem(/audit\/stream.*ERR_ABORTED/);
      problems.push(...watched.problems);
      watched.problems.length = 0;
    }
    expect(problems, 'console errors, failed requests or CSP violations').to.deep.equal([]);
  });

  after(async function () {
    await browser?.close();
    copy?.remove();
    if (keyDir) fs.rmSync(keyDir, { recursive: true, force: true });
    await slipway?.close();
  });

  it('lets the platform admin create a user and shows its generated password once', async function () {
    const page = adminPage.page;
    await signIn(page, credentials.user, credentials.password);
    adminPage.expectProblem(/status of 401/); // the page asked who is signed in: nobody yet
    await page.getByRole('link', { name: 'Users', exact: true }).click();
    await page.getByRole('heading', { name: 'Users', exact: true }).waitFor();
    await page.getByLabel('Name', { exact: true }).fill(viewer);
    await page.getByLabel('Email').fill(`${viewer}@example.com`);
    await page.getByRole('button', { name: 'Create user' }).click();
    await page.getByRole('heading', { name: `${viewer} is created` }).waitFor();
    viewerPassword = (await page.getByLabel(`Generated password of ${viewer}`).textContent()) ?? '';
    expect(viewerPassword.length).to.be.greaterThan(11);
    await page.getByRole('row', { name: new RegExp(viewer) }).getByText('active').waitFor();
    await check(page, 'users, generated password shown', 'admin-users');
    await page.getByRole('button', { name: 'Done, hide the password' }).click();
    expect(await page.getByText(viewerPassword).count(), 'the password is gone once dismissed').to.equal(0);
    expect((await slipway.api('POST', '/users', { name: helper, email: `${helper}@example.com` })).status).to.equal(201);
  });

  it('creates a team and makes the user a viewer of it', async function () {
    const page = adminPage.page;
    await page.getByRole('link', { name: 'Teams', exact: true }).click();
    await page.getByRole('heading', { name: 'Teams', exact: true }).waitFor();
    await check(page, 'teams', 'admin-teams');
    await page.getByLabel('New team').fill(team);
    await page.getByRole('button', { name: 'Create team' }).click();
    await page.getByRole('heading', { name: `Team ${team}` }).waitFor();
    await page.getByLabel('User name').fill(viewer);
    await page.getByLabel('Role', { exact: true }).selectOption('viewer');
    await page.getByRole('button', { name: 'Add member' }).click();
    await page.getByText(`${viewer} joined ${team} as viewer.`).waitFor();
    expect(await page.getByLabel(`Role of ${viewer}`).inputValue()).to.equal('viewer');
    await check(page, 'team', 'admin-team');
    const members = await slipway.api<{ user: string; role: string }[]>('GET', `/teams/${team}/members`);
    expect(members.body).to.deep.include({ user: viewer, role: 'viewer' });
  });

  it('sets what the team\'s members may do, on the team page', async function () {
    const page = adminPage.page;
    await page.getByRole('heading', { name: 'What members may do' }).waitFor();
    expect(await page.getByRole('checkbox', { name: 'view' }).isDisabled(), 'view is always given').to.equal(true);
    await page.getByRole('checkbox', { name: 'operate' }).uncheck();
    await page.getByRole('checkbox', { name: 'manage' }).check();
    await page.getByRole('button', { name: 'Save member permissions' }).click();
    await page.getByText(`Members of ${team} may now view, deploy, manage on its apps.`).waitFor();
    await page.getByText('Members may view, deploy, manage on the team\'s apps.').waitFor();
    const teams = await slipway.api<{ name: string; memberPermissions: string[] }[]>('GET', '/teams');
    expect(teams.body.find((t) => t.name === team)?.memberPermissions).to.deep.equal(['view', 'deploy', 'manage']);
    await check(page, 'team with member permissions', 'admin-team');
  });

  it('deploys an app of the team and sets a config var: the admin may roll back', async function () {
    expect((await slipway.api('POST', '/apps', { name: app, team })).status).to.equal(201);
    keyDir = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-console-admin-key-'));
    const key = await makeSshKey(keyDir);
    expect((await slipway.api('POST', '/keys', { publicKey: key.publicKey })).status).to.equal(201);
    copy = await WorkingCopy.fromFixture('dockerfile-basic', key.privateKey);
    const push = await copy.push(slipway.gitUrl(app));
    expect(push.code, push.output).to.equal(0);
    expect((await slipway.api('PATCH', `/apps/${app}/config`, { SECRET_TOKEN: 'only-for-deployers' })).status).to.equal(200);

    const page = adminPage.page;
    await page.goto(`${origin}/apps/${app}`);
    await page.getByRole('heading', { name: app, exact: true }).waitFor();
    await page.getByRole('button', { name: 'Roll back to v1' }).waitFor();
  });

  it('adds and removes a collaborator with chosen permissions on the access page', async function () {
    const page = adminPage.page;
    await page.goto(`${origin}/apps/${app}/access`);
    await page.getByRole('heading', { name: 'Access', exact: true }).waitFor();
    await page.getByRole('row', { name: new RegExp(`${viewer}.*team viewer`) }).waitFor();
    await page.getByLabel('User name').fill(helper);
    await page.getByRole('checkbox', { name: 'deploy' }).check();
    await page.getByRole('checkbox', { name: 'operate' }).check();
    await page.getByRole('button', { name: 'Add collaborator' }).click();
    await page.getByText(`${helper} may now view, deploy, operate on ${app}.`).waitFor();
    await page.getByRole('button', { name: `Remove collaborator ${helper}` }).waitFor();
    await check(page, 'access', 'admin-access');
    const access = await slipway.api<{ entries: { user: string; via: string; permissions: string[] }[] }>('GET', `/apps/${app}/access`);
    expect(access.body.entries).to.deep.include({ user: helper, via: 'collaborator', role: null, permissions: ['view', 'deploy', 'operate'] });
    await page.getByRole('button', { name: `Remove collaborator ${helper}` }).click();
    await page.getByText(`${helper} is no longer a collaborator on ${app}.`).waitFor();
  });

  it('shows the admin\'s changes on the activity feed live, without a reload', async function () {
    const page = adminPage.page;
    await page.getByRole('link', { name: 'Activity', exact: true }).first().click();
    await page.getByRole('heading', { name: 'Activity', exact: true }).waitFor();
    await page.getByText('· live').waitFor();
    await page.getByText('access:add').first().waitFor();
    // A change made elsewhere (the CLI's token) appears on the open page.
    expect((await slipway.api('POST', `/apps/${app}/access`, { user: helper, permissions: ['view'] })).status).to.equal(201);
    await page.getByRole('listitem').filter({ hasText: 'access:add' }).filter({ hasText: 'permissions: ["view"]' }).waitFor();
    await check(page, 'activity', 'admin-activity');

    await page.getByLabel('App').fill(app);
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.getByRole('heading', { name: `Activity of app ${app}` }).waitFor();
    expect(await page.getByText('user:create').count(), 'other entries filtered out').to.equal(0);

    await page.goto(`${origin}/apps/${app}/activity`);
    await page.getByRole('heading', { name: `Changes to ${app}` }).waitFor();
    await page.getByText('permissions: ["view"]').first().waitFor();
    await check(page, 'app activity', 'admin-app-activity');
  });

  it('shows the hosts\' capacity in figures', async function () {
    const page = adminPage.page;
    await page.getByRole('link', { name: 'Capacity', exact: true }).click();
    await page.getByRole('heading', { name: 'Capacity', exact: true }).waitFor();
    await page.getByText(os.hostname(), { exact: true }).waitFor();
    const text = await page.locator('main').innerText();
    expect(text).to.match(/\d+\.\d GB used of \d+\.\d GB · \d+\.\d GB free/);
    expect(text).to.match(/[\d.]+ used of [\d.]+ · [\d.]+ free/);
    expect(text).to.match(/[1-9]\d* instances? running/);
    await check(page, 'capacity', 'admin-capacity');
  });

  it('shows a viewer no config value and no button that changes the app', async function () {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    viewerPage = await watchPage(await context.newPage());
    const page = viewerPage.page;
    await signIn(page, viewer, viewerPassword);
    viewerPage.expectProblem(/status of 401/);
    expect(await page.getByRole('link', { name: 'Users', exact: true }).count(), 'no admin pages offered').to.equal(0);
    await page.getByRole('link', { name: app, exact: true }).click();
    await page.getByRole('heading', { name: app, exact: true }).waitFor();
    await page.getByRole('cell', { name: /Set SECRET_TOKEN/ }).waitFor();
    expect(await page.getByRole('button', { name: /Roll back/ }).count(), 'no rollback').to.equal(0);
    await check(page, 'app overview as viewer', 'viewer-app-overview');

    await page.getByRole('link', { name: 'Config vars' }).click();
    await page.getByRole('heading', { name: 'Config vars' }).waitFor();
    await page.getByText('its config values are not shown to you').waitFor();
    expect(await page.getByText('only-for-deployers').count(), 'no config value').to.equal(0);
    expect(await page.getByRole('button', { name: /Reveal|Edit|Remove|Add/ }).count(), 'no config buttons').to.equal(0);
    await check(page, 'config as viewer', 'viewer-config');

    await page.getByRole('link', { name: 'Scaling' }).click();
    await page.getByRole('heading', { name: 'Scaling' }).waitFor();
    await page.getByText('You do not have the operate permission').waitFor();
    expect(await page.getByRole('button', { name: /Apply/ }).count(), 'no scaling').to.equal(0);
    expect(await page.getByLabel('Instances').isDisabled()).to.equal(true);

    await page.getByRole('link', { name: 'Access' }).click();
    await page.getByRole('heading', { name: 'Access', exact: true }).waitFor();
    await page.getByText('You may view.').waitFor();
    expect(await page.getByRole('button', { name: /Add collaborator|Remove/ }).count(), 'no access changes').to.equal(0);
    await check(page, 'access as viewer', 'viewer-access');

    await page.goto(`${origin}/teams/${team}`);
    await page.getByRole('heading', { name: `Team ${team}` }).waitFor();
    expect(await page.getByRole('button', { name: /Remove|Add member/ }).count(), 'no member changes').to.equal(0);
  });

  it('refuses a change forged from the viewer\'s page with its session and CSRF token (403)', async function () {
    const page = viewerPage!.page;
    const forged = await page.evaluate(async (name: string) => {
      const session = await (await fetch('/api/v1/session')).json() as { csrfToken: string };
      const attempt = async (method: string, url: string, body: unknown) => {
        const response = await fetch(url, { method, headers: { 'content-type': 'application/json', 'x-csrf-token': session.csrfToken }, body: JSON.stringify(body) });
        return { status: response.status, code: (await response.json() as { error?: { code: string } }).error?.code };
      };
      return [
        await attempt('PATCH', `/api/v1/apps/${name}/config`, { SECRET_TOKEN: 'stolen' }),
        await attempt('POST', `/api/v1/apps/${name}/releases`, { rollback: 1 }),
        await attempt('PATCH', `/api/v1/apps/${name}/formation`, { web: 3 }),
        await attempt('POST', `/api/v1/apps/${name}/access`, { user: name, permissions: ['manage'] }),
      ];
    }, app);
    viewerPage!.expectProblem(/status of 403/);
    for (const answer of forged) expect(answer).to.deep.equal({ status: 403, code: 'forbidden' });
    const config = await slipway.api<Record<string, string>>('GET', `/apps/${app}/config`);
    expect(config.body.SECRET_TOKEN).to.equal('only-for-deployers');
  });

  it('refuses a change from another origin carrying the session cookie and token', async function () {
    const context = viewerPage!.page.context();
    const cookie = (await context.cookies(`${origin}/api/v1/session`)).map((c) => `${c.name}=${c.value}`).join('; ');
    const session = await (await fetch(`${origin}/api/v1/session`, { headers: { cookie } })).json() as { csrfToken: string };
    const crossSite = await fetch(`${origin}/api/v1/teams`, {
      method: 'POST',
      headers: { cookie, 'x-csrf-token': session.csrfToken, origin: 'http://evil.example', 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'forged-team' }),
    });
    expect(crossSite.status).to.equal(403);
    expect(((await crossSite.json()) as { error: { code: string } }).error.code).to.equal('csrf_refused');
    const teams = await slipway.api<{ name: string }[]>('GET', '/teams');
    expect(teams.body.map((t) => t.name)).to.not.include('forged-team');
  });

  it('lets the viewer change their password on the account page: the old one no longer signs in, this session goes on', async function () {
    const page = viewerPage!.page;
    await page.getByRole('link', { name: `Your account: ${viewer}` }).click();
    await page.getByRole('heading', { name: 'Your account' }).waitFor();
    await page.getByText(`${team} (viewer)`).waitFor();
    const fresh = `${viewerPassword}-changed`;
    await page.getByLabel('Current password').fill(viewerPassword);
    await page.getByLabel('New password', { exact: true }).fill(fresh);
    await page.getByLabel('New password again').fill(`${fresh}-typo`);
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.getByText('The two new passwords differ. Nothing was changed.').waitFor();
    await page.getByLabel('Current password').fill('not-the-password');
    await page.getByLabel('New password again').fill(fresh);
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.getByText('The current password is wrong: nothing was changed.').waitFor();
    viewerPage!.expectProblem(/status of 403/);
    await page.getByLabel('Current password').fill(viewerPassword);
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.getByText('Your password is changed.').waitFor();
    await check(page, 'account page', 'account');
    const login = (password: string) => fetch(`${origin}/api/v1/login`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: viewer, password }),
    });
    expect((await login(viewerPassword)).status, 'the old password').to.equal(401);
    expect((await login(fresh)).status, 'the new password').to.equal(201);
    expect(await page.evaluate(async () => (await fetch('/api/v1/account')).status), 'the session in use').to.equal(200);
    viewerPassword = fresh;
  });

  it('lets the admin reset the user\'s password: the viewer\'s session ends, the generated password signs in', async function () {
    const page = adminPage.page;
    await page.getByRole('link', { name: 'Users', exact: true }).click();
    await page.getByRole('button', { name: `Reset password of ${viewer}` }).click();
    await page.getByRole('button', { name: `Confirm reset for ${viewer}: their logins end` }).click();
    await page.getByRole('heading', { name: `New password for ${viewer}` }).waitFor();
    const oneTime = (await page.getByLabel(`Generated password of ${viewer}`).textContent()) ?? '';
    expect(oneTime.length).to.be.greaterThan(11);
    await check(page, 'users, reset password shown', 'admin-users-reset');
    await page.getByRole('button', { name: 'Done, hide the password' }).click();
    expect(await page.getByText(oneTime).count(), 'the password is gone once dismissed').to.equal(0);

    expect(await viewerPage!.page.evaluate(async () => (await fetch('/api/v1/account')).status), 'the viewer\'s session').to.equal(401);
    viewerPage!.expectProblem(/status of 401/);
    await signIn(viewerPage!.page, viewer, oneTime);
    viewerPage!.expectProblem(/status of 401/);
    viewerPassword = oneTime;
  });

  it('lets the admin disable the user: the viewer\'s session stops at once', async function () {
    const page = adminPage.page;
    await page.getByRole('link', { name: 'Users', exact: true }).click();
    await page.getByRole('button', { name: `Disable ${viewer}` }).click();
    await page.getByText(`${viewer} is disabled`).waitFor();
    const status = await viewerPage!.page.evaluate(async () => (await fetch('/api/v1/apps')).status);
    viewerPage!.expectProblem(/status of 401|status of 403/);
    expect(status).to.be.oneOf([401, 403]);
  });
});
