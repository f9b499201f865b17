/**
 * What the deploy timeline's browser test and its benchmark share: signing in through the page,
 * and reading the timeline's cards (web/src/pages/Deploys.tsx marks each with data-deploy,
 * data-status, and each phase with data-phase and data-outcome). Page code is passed as text:
 * the server-side TypeScript has no DOM types.
 */
import type { Page } from 'playwright-core';

export async function signIn(page: Page, origin: string, credentials: { user: string; password: string }): Promise<void> {
  await page.goto(`${origin}/`);
  await page.getByRole('heading', { name: 'Sign in to Slipway' }).waitFor();
  await page.getByLabel('Name').fill(credentials.user);
  await page.getByLabel('Password').fill(credentials.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Apps' }).waitFor();
}

/** The newest deploy's id on the page, or 0 when none is shown. */
export async function newestDeployId(page: Page): Promise<number> {
  return page.evaluate<number>(`Math.max(0, ...[...document.querySelectorAll('[data-deploy]')].map((e) => Number(e.dataset.deploy)))`);
}

/** The ids of the deploys the page shows. */
export async function shownDeployIds(page: Page): Promise<number[]> {
  return page.evaluate<number[]>(`[...document.querySelectorAll('[data-deploy]')].map((e) => Number(e.dataset.deploy))`);
}

/**
 * Waits for a deploy card the page did not show before (a locator: the page's CSP allows no
 * string evaluation, which waitForFunction needs), and answers the newest id then.
 */
export async function waitForNewDeploy(page: Page, known: readonly number[], timeoutMs = 60_000): Promise<number> {
  await page.locator(`[data-deploy]${known.map((id) => `:not([data-deploy="${id}"])`).join('')}`).first().waitFor({ timeout: timeoutMs });
  return newestDeployId(page);
}

/** Each phase of a deploy card as `name:outcome`. */
export async function phasesOf(page: Page, deployId: number): Promise<string[]> {
  return page.evaluate<string[]>(`[...document.querySelectorAll('[data-deploy="${deployId}"] [data-phase]')].map((e) => e.dataset.phase + ':' + e.dataset.outcome)`);
}

export function card(deployId: number): string {
  return `[data-deploy="${deployId}"]`;
}
