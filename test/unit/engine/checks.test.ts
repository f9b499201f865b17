import http from 'node:http';
import net from 'node:net';
import { expect } from 'chai';
import type { HealthCheck } from '../../../engine/app-json';
import { answerProblem, checkBeforeRouting, runCheck } from '../../../engine/checks';
import type { BootWatch } from '../../../engine/health';
import { freePort } from '../../support/slipway';

function healthCheck(overrides: Partial<HealthCheck> = {}): HealthCheck {
  return {
    type: 'startup', name: 'web check', path: '/health', content: null,
    attempts: 3, wait: 0.01, timeout: 1, initialDelay: 0, ...overrides,
  };
}

/** A watch whose answers come from a list (the last one repeats); counts how often it was asked. */
function watch(...answers: Array<string | null>): BootWatch & { asked: number } {
  const w = {
    asked: 0,
    stillAlive: async () => {
      const answer = answers[Math.min(w.asked, answers.length - 1)] ?? null;
      w.asked += 1;
      return answer;
    },
  };
  return w;
}

interface Hit {
  path: string;
  at: number;
}

describe('engine/checks', () => {
  const servers: net.Server[] = [];
  const sockets: net.Socket[] = [];

  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.destroy();
    await Promise.all(servers.splice(0).map((server) => new Promise<void>((resolve) => {
      if (server instanceof http.Server) server.closeAllConnections();
      server.close(() => resolve());
    })));
  });

  function listen(server: net.Server): Promise<string> {
    servers.push(server);
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as net.AddressInfo).port}`));
    });
  }

  /** A real HTTP server; `answer` gets the 1-based number of the request. Records every request. */
  async function app(answer: (n: number, path: string) => { status: number; body?: string }): Promise<{ url: string; hits: Hit[] }> {
    const hits: Hit[] = [];
    const server = http.createServer((req, res) => {
      hits.push({ path: req.url ?? '', at: Date.now() });
      const { status, body } = answer(hits.length, req.url ?? '');
      res.statusCode = status;
      res.end(body ?? '');
    });
    return { url: await listen(server), hits };
  }

  /** Accepts connections and never answers. */
  async function silent(): Promise<string> {
    return listen(net.createServer((socket) => { sockets.push(socket); }));
  }

  describe('answerProblem', () => {
    it('accepts 2xx and 3xx answers', () => {
      for (const status of [200, 201, 204, 301, 302, 304, 399]) {
        expect(answerProblem(healthCheck(), { status, body: '' }), String(status)).to.equal(null);
      }
    });

    it('names the status of an error or informational answer', () => {
      expect(answerProblem(healthCheck(), { status: 500, body: 'boom' })).to.equal('answered 500');
      expect(answerProblem(healthCheck(), { status: 404, body: '' })).to.equal('answered 404');
      expect(answerProblem(healthCheck(), { status: 400, body: '' })).to.equal('answered 400');
      expect(answerProblem(healthCheck(), { status: 199, body: '' })).to.equal('answered 199');
    });

    it('says "no answer" when nothing answered', () => {
      expect(answerProblem(healthCheck(), null)).to.equal('no answer');
    });

    it('requires the expected content in the body when the check names some', () => {
      const withContent = healthCheck({ content: '"status":"ok"' });
      expect(answerProblem(withContent, { status: 200, body: '{"status":"ok","db":"up"}' })).to.equal(null);
      expect(answerProblem(withContent, { status: 200, body: '{"status":"starting"}' })).to.equal('answer does not contain ""status":"ok""');
      expect(answerProblem(healthCheck({ content: 'ready' }), { status: 200, body: '' })).to.equal('answer does not contain "ready"');
    });

    it('reports a bad status before missing content', () => {
      expect(answerProblem(healthCheck({ content: 'ok' }), { status: 503, body: 'not ok' })).to.equal('answered 503');
    });
  });

  describe('runCheck', () => {
    it('passes at the first good answer, on the check\'s path', async () => {
      const server = await app(() => ({ status: 200, body: 'ok' }));
      const w = watch(null);
      expect(await runCheck(healthCheck(), server.url, w)).to.deep.equal({ ok: true });
      expect(server.hits.map((h) => h.path)).to.deep.equal(['/health']);
      expect(w.asked).to.equal(1);
    });

    it('retries until an attempt passes', async () => {
      const server = await app((n) => ({ status: n < 3 ? 503 : 200 }));
      expect(await runCheck(healthCheck({ attempts: 3 }), server.url, watch(null))).to.deep.equal({ ok: true });
      expect(server.hits).to.have.length(3);
    });

    it('fails after its attempts, naming the check, the request and the last problem', async () => {
      const server = await app(() => ({ status: 503 }));
      const result = await runCheck(healthCheck({ name: 'web check', attempts: 3 }), server.url, watch(null));
      expect(result).to.deep.equal({ ok: false, reason: 'web check failed: GET /health answered 503 after 3 attempt(s)' });
      expect(server.hits).to.have.length(3);
    });

    it('fails when the body never contains the expected content', async () => {
      const server = await app(() => ({ status: 200, body: 'starting' }));
      const result = await runCheck(healthCheck({ name: 'ready', path: '/ready', content: 'ready', attempts: 2 }), server.url, watch(null));
      expect(result).to.deep.equal({ ok: false, reason: 'ready failed: GET /ready answer does not contain "ready" after 2 attempt(s)' });
    });

    it('says the connection was refused when nothing listens on the port', async () => {
      const url = `http://127.0.0.1:${await freePort()}`;
      const result = await runCheck(healthCheck({ attempts: 1 }), url, watch(null));
      expect(result).to.deep.equal({
        ok: false, reason: 'web check failed: GET /health connection refused (nothing listens on the port yet) after 1 attempt(s)',
      });
    });

    it('gives up on an attempt after the check\'s timeout when the process accepts but never answers', async () => {
      const url = await silent();
      const started = Date.now();
      const result = await runCheck(healthCheck({ attempts: 2, timeout: 0.1, wait: 0 }), url, watch(null));
      expect(result).to.deep.equal({ ok: false, reason: 'web check failed: GET /health no answer within 0.1 s after 2 attempt(s)' });
      expect(Date.now() - started).to.be.lessThan(1500);
    });

    it('waits `wait` seconds between attempts', async () => {
      const server = await app(() => ({ status: 500 }));
      await runCheck(healthCheck({ attempts: 3, wait: 0.05 }), server.url, watch(null));
      const [first, second, third] = server.hits;
      expect(second!.at - first!.at).to.be.at.least(45);
      expect(third!.at - second!.at).to.be.at.least(45);
    });

    it('waits `initialDelay` seconds before the first attempt', async () => {
      const server = await app(() => ({ status: 200 }));
      const started = Date.now();
      expect(await runCheck(healthCheck({ initialDelay: 0.1 }), server.url, watch(null))).to.deep.equal({ ok: true });
      expect(server.hits[0]!.at - started).to.be.at.least(95);
    });

    it('stops at once, with the watch\'s reason, when the process died', async () => {
      const server = await app(() => ({ status: 200 }));
      const w = watch('web process exited while starting');
      const result = await runCheck(healthCheck({ name: 'db check' }), server.url, w);
      expect(result).to.deep.equal({ ok: false, reason: 'db check: web process exited while starting' });
      expect(server.hits).to.have.length(0);
      expect(w.asked).to.equal(1);
    });

    it('stops retrying when the process dies between attempts', async () => {
      const server = await app(() => ({ status: 503 }));
      const w = watch(null, 'web process exited while starting');
      const result = await runCheck(healthCheck({ attempts: 5 }), server.url, w);
      expect(result).to.deep.equal({ ok: false, reason: 'web check: web process exited while starting' });
      expect(server.hits).to.have.length(1);
    });

    it('passes a check without a path as long as the process stays up, without any request', async () => {
      const server = await app(() => ({ status: 500 }));
      expect(await runCheck(healthCheck({ path: null }), server.url, watch(null))).to.deep.equal({ ok: true });
      expect(server.hits).to.have.length(0);
      expect(await runCheck(healthCheck({ path: null, name: 'uptime' }), server.url, watch('worker process exited while starting')))
        .to.deep.equal({ ok: false, reason: 'uptime: worker process exited while starting' });
    });

    it('reports each failed attempt as n of m with what answered, then the attempt that passes', async () => {
      const server = await app((n) => (n === 1 ? { status: 500 } : n === 2 ? { status: 200, body: 'starting' } : { status: 200, body: 'ready' }));
      const lines: string[] = [];
      const result = await runCheck(healthCheck({ name: 'ready', content: 'ready', attempts: 4, wait: 0 }), server.url, watch(null), (l) => lines.push(l));
      expect(result).to.deep.equal({ ok: true });
      expect(lines).to.deep.equal([
        'ready: attempt 1 of 4: GET /health answered 500, next in 0 s',
        'ready: attempt 2 of 4: GET /health answer does not contain "ready", next in 0 s',
        'ready: passed on attempt 3 of 4',
      ]);
    });

    it('reports a refused connection and a timeout as such, the last attempt without a "next"', async () => {
      const refused: string[] = [];
      await runCheck(healthCheck({ attempts: 2, wait: 0 }), `http://127.0.0.1:${await freePort()}`, watch(null), (l) => refused.push(l));
      expect(refused).to.deep.equal([
        'web check: attempt 1 of 2: GET /health connection refused (nothing listens on the port yet), next in 0 s',
        'web check: attempt 2 of 2: GET /health connection refused (nothing listens on the port yet)',
      ]);
      const timedOut: string[] = [];
      await runCheck(healthCheck({ attempts: 1, timeout: 0.1 }), await silent(), watch(null), (l) => timedOut.push(l));
      expect(timedOut).to.deep.equal(['web check: attempt 1 of 1: GET /health no answer within 0.1 s']);
    });

    it('says nothing when the first attempt passes, and announces an initial delay', async () => {
      const server = await app(() => ({ status: 200 }));
      const lines: string[] = [];
      await runCheck(healthCheck({ initialDelay: 0.01 }), server.url, watch(null), (l) => lines.push(l));
      expect(lines).to.deep.equal(['web check: waiting 0.01 s (initialDelay) before the first attempt']);
    });

    it('reports a failed attempt, then tells the watch it will retry, then waits', async () => {
      const server = await app((n) => ({ status: n === 1 ? 503 : 200 }));
      const events: string[] = [];
      const w = { ...watch(null), retrying: () => { events.push(`retrying after ${server.hits.length} hit(s)`); } };
      expect(await runCheck(healthCheck({ attempts: 2, wait: 0 }), server.url, w, (l) => events.push(l))).to.deep.equal({ ok: true });
      expect(events).to.deep.equal([
        'web check: attempt 1 of 2: GET /health answered 503, next in 0 s',
        'retrying after 1 hit(s)',
        'web check: passed on attempt 2 of 2',
      ]);
    });

    it('ends the wait between attempts when the deploy is cancelled, with the watch\'s reason', async () => {
      const server = await app(() => ({ status: 503 }));
      const cancel = new AbortController();
      const lines: string[] = [];
      const w: BootWatch = {
        signal: cancel.signal,
        stillAlive: async () => (cancel.signal.aborted ? 'Deploy cancelled: shop is being destroyed.' : null),
        retrying: () => cancel.abort(),
      };
      const result = await runCheck(healthCheck({ attempts: 3, wait: 600 }), server.url, w, (l) => lines.push(l));
      expect(result).to.deep.equal({ ok: false, reason: 'web check: Deploy cancelled: shop is being destroyed.' });
      expect(server.hits).to.have.length(1);
      expect(lines).to.deep.equal(['web check: attempt 1 of 3: GET /health answered 503, next in 600 s']);
    });

    it('cuts a GET that gets no answer short when the deploy is cancelled, saying nothing of that attempt', async () => {
      const cancel = new AbortController();
      const url = await listen(net.createServer((socket) => { sockets.push(socket); cancel.abort(); }));
      const lines: string[] = [];
      const w: BootWatch = { signal: cancel.signal, stillAlive: async () => (cancel.signal.aborted ? 'cancelled' : null) };
      const result = await runCheck(healthCheck({ attempts: 3, timeout: 60, wait: 60 }), url, w, (l) => lines.push(l));
      expect(result).to.deep.equal({ ok: false, reason: 'web check: cancelled' });
      expect(lines).to.deep.equal([]);
    });

    it('ends an initial delay when the deploy is cancelled', async () => {
      const server = await app(() => ({ status: 200 }));
      const cancel = new AbortController();
      const w: BootWatch = { signal: cancel.signal, stillAlive: async () => (cancel.signal.aborted ? 'cancelled' : null) };
      const result = runCheck(healthCheck({ initialDelay: 600 }), server.url, w, () => cancel.abort());
      expect(await result).to.deep.equal({ ok: false, reason: 'web check: cancelled' });
      expect(server.hits).to.have.length(0);
    });

    it('passes a path check of a process that serves no HTTP (no URL) when it stays up', async () => {
      expect(await runCheck(healthCheck({ path: '/health' }), null, watch(null))).to.deep.equal({ ok: true });
    });
  });

  describe('checkBeforeRouting', () => {
    it('refuses a web instance that has no published port', async () => {
      expect(await checkBeforeRouting('web', null, [], 1000, watch(null)))
        .to.deep.equal({ ok: false, reason: 'web process has no published port' });
    });

    it('lets a web instance in once it answers HTTP on $PORT, whatever the status', async () => {
      const server = await app(() => ({ status: 404 }));
      expect(await checkBeforeRouting('web', server.url, [], 1000, watch(null))).to.deep.equal({ ok: true });
      expect(server.hits.map((h) => h.path)).to.deep.equal(['/']);
    });

    it('keeps a web instance out when it never binds $PORT within the boot timeout', async () => {
      const url = `http://127.0.0.1:${await freePort()}`;
      const result = await checkBeforeRouting('web', url, [healthCheck()], 50, watch(null));
      expect(result.ok).to.equal(false);
      expect((result as { reason: string }).reason).to.match(/^web process did not bind \$PORT within \d+s$/);
    });

    it('keeps a web instance out, with the watch\'s reason, when it dies while booting', async () => {
      const url = `http://127.0.0.1:${await freePort()}`;
      expect(await checkBeforeRouting('web', url, [], 60_000, watch('web process exited while starting')))
        .to.deep.equal({ ok: false, reason: 'web process exited while starting' });
    });

    it('runs startup then readiness checks, in the order written, and not liveness checks', async () => {
      const server = await app(() => ({ status: 200, body: 'ok' }));
      const checks = [
        healthCheck({ type: 'liveness', name: 'live', path: '/live' }),
        healthCheck({ type: 'readiness', name: 'ready', path: '/ready' }),
        healthCheck({ type: 'startup', name: 'migrated', path: '/migrated' }),
      ];
      expect(await checkBeforeRouting('web', server.url, checks, 1000, watch(null))).to.deep.equal({ ok: true });
      expect(server.hits.map((h) => h.path)).to.deep.equal(['/', '/ready', '/migrated']);
    });

    it('stops at the first failing check and gives its reason', async () => {
      const server = await app((_n, path) => ({ status: path === '/ready' ? 503 : 200 }));
      const checks = [
        healthCheck({ type: 'readiness', name: 'ready', path: '/ready', attempts: 2 }),
        healthCheck({ type: 'startup', name: 'migrated', path: '/migrated' }),
      ];
      expect(await checkBeforeRouting('web', server.url, checks, 1000, watch(null)))
        .to.deep.equal({ ok: false, reason: 'ready failed: GET /ready answered 503 after 2 attempt(s)' });
      expect(server.hits.map((h) => h.path)).to.deep.equal(['/', '/ready', '/ready']);
    });

    it('lets a worker in when it is still up, and keeps it out with the reason when it died', async () => {
      expect(await checkBeforeRouting('worker', null, [], 1000, watch(null))).to.deep.equal({ ok: true });
      expect(await checkBeforeRouting('worker', null, [], 1000, watch('worker process exited while starting')))
        .to.deep.equal({ ok: false, reason: 'worker process exited while starting' });
    });

    it('runs a worker\'s own checks before it counts as started', async () => {
      const w = watch(null, null, 'worker process exited while starting');
      const checks = [healthCheck({ name: 'first', path: null }), healthCheck({ name: 'second', path: null })];
      // Both checks see the process up; the final look finds it gone.
      expect(await checkBeforeRouting('worker', null, checks, 1000, w))
        .to.deep.equal({ ok: false, reason: 'worker process exited while starting' });
      expect(w.asked).to.equal(3);
    });
  });
});
