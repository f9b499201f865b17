/**
 * Chromium from Debian driven by playwright-core for the console's browser tests: a page that
 * records everything that should never happen (console errors, failed requests, CSP violations),
 * axe-core checks, and a screenshot of each page in the test output folder.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { REPO_ROOT } from './slipway';

export const CHROMIUM = '/usr/bin/chromium';
export const SCREENSHOTS = path.join(REPO_ROOT, 'test-output', 'console');

export function launchChromium(): Promise<Browser> {
  // --no-sandbox: the tests run as root here, where Chromium's sandbox cannot start.
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
}

export interface WatchedPage {
  page: Page;
  /** Console errors, uncaught exceptions, failed requests and CSP violations, as lines. */
  problems: string[];
  /** The problems that are expected (a 401 before sign-in, a refusal the test provoked) are removed by the test. */
  expectProblem(match: RegExp): void;
}

export async function watchPage(page: Page): Promise<WatchedPage> {
  const problems: string[] = [];
  // A listener installed before any page script runs (through the DevTools protocol, not subject to the CSP).
  // (Page code as text: this project's server-side TypeScript has no DOM types.)
  await page.addInitScript({ content: `document.addEventListener('securitypolicyviolation', (event) => {
      console.error('CSP violation: ' + event.violatedDirective + ' blocked ' + (event.blockedURI || 'inline code'));
    });` });
  page.on('console', (message) => { if (message.type() === 'error') problems.push(`console error: ${message.text()}`); });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  // Loading another document (the test's page.goto) aborts what the page was still reading: the
  // browser's doing, not a failure of the page. Each request remembers how many documents had
  // been asked for when it started.
  let documents = 0;
  const startedIn = new WeakMap<object, number>();
  page.on('request', (request) => {
    if (request.isNavigationRequest() && request.frame() === page.mainFrame()) documents += 1;
    else startedIn.set(request, documents);
  });
  page.on('requestfailed', (request) => {
    const failure = request.failure()?.errorText ?? '';
    // The event stream is cut when the page goes away: that is not a failure of the page.
    if (request.url().endsWith('/api/v1/events') && /ERR_ABORTED/.test(failure)) return;
    if (/ERR_ABORTED/.test(failure) && request.method() === 'GET' && startedIn.get(request) !== documents) return;
    problems.push(`request failed: ${request.method()} ${request.url()} ${failure}`);
  });
  return {
    page, problems,
    expectProblem(match: RegExp) {
      for (let i = problems.length - 1; i >= 0; i--) if (match.test(problems[i]!)) problems.splice(i, 1);
    },
  };
}

interface AxeViolation { id: string; impact: string | null; help: string; nodes: { target: string[] }[] }

/** axe-core on the page as it is: the serious and critical violations, as readable lines. */
export async function seriousAxeViolations(page: Page): Promise<string[]> {
  const source = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
  await page.evaluate(source);
  const violations = await page.evaluate<AxeViolation[]>(`axe.run(document, { resultTypes: ['violations'] }).then((result) =>
    result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target })) })))`);
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.impact} ${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
}

export async function screenshot(page: Page, name: string): Promise<void> {
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/**
 * A TCP proxy in front of the API that a test can cut: every open connection (the event stream
 * included) is dropped and new ones are refused until `restore`, as when a network goes away.
 */
export class CuttableProxy {
  private readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();
  private cut = false;

  private constructor(targetPort: number) {
    this.server = net.createServer((client) => {
      if (this.cut) { client.destroy(); return; }
      const upstream = net.connect(targetPort, '127.0.0.1');
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
        socket.on('error', () => { client.destroy(); upstream.destroy(); });
      }
      client.pipe(upstream).pipe(client);
    });
  }

  static async start(targetPort: number): Promise<CuttableProxy> {
    const proxy = new CuttableProxy(targetPort);
    await new Promise<void>((resolve) => proxy.server.listen(0, '127.0.0.1', () => resolve()));
    return proxy;
  }

  get port(): number {
    return (this.server.address() as net.AddressInfo).port;
  }

  drop(): void {
    this.cut = true;
    for (const socket of this.sockets) socket.destroy();
  }

  restore(): void {
    this.cut = false;
  }

  async close(): Promise<void> {
    this.drop();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
