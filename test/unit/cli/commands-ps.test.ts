import { expect } from 'chai';
import { ApiClient, type FetchLike } from '../../../cli/api-client';
import type { PsView, SizedFormationEntry } from '../../../cli/api-types';
import { CliError } from '../../../cli/cli-error';
import type { CommandContext } from '../../../cli/commands';
import { parseQuantities, ps, psResize, psRestart, psScale, psStop } from '../../../cli/commands-ps';

const now = new Date('2025-06-01T12:00:00Z');

function cliError(fn: () => unknown): CliError {
  try {
    fn();
  } catch (error) {
    expect(error).to.be.instanceOf(CliError);
    return error as CliError;
  }
  throw new Error('expected a CliError');
}

async function rejection(promise: Promise<unknown>): Promise<CliError> {
  try {
    await promise;
  } catch (error) {
    expect(error).to.be.instanceOf(CliError);
    return error as CliError;
  }
  throw new Error('expected a rejection');
}

interface Sent {
  method: string;
  path: string;
  body: unknown;
}

/** A command context whose API client talks to a scripted fetch; records requests and printed output. */
function context(answer: (sent: Sent) => { status: number; body?: unknown }): { ctx: CommandContext; sent: Sent[]; printed: string[] } {
  const sent: Sent[] = [];
  const printed: string[] = [];
  const fetch: FetchLike = async (url, init) => {
    const request: Sent = {
      method: init?.method ?? 'GET',
      path: url.replace('http://api.test/api/v1', ''),
      body: init?.body === undefined ? undefined : JSON.parse(String(init.body)),
    };
    sent.push(request);
    const { status, body } = answer(request);
    return body === undefined
      ? new Response(null, { status })
      : new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
  };
  const client = new ApiClient({ apiUrl: 'http://api.test', token: 'tok', fetch });
  const ctx: CommandContext = {
    client: () => client, out: (text) => printed.push(text), color: false, now: () => now, cwd: '/tmp', homeDir: '/tmp',
  };
  return { ctx, sent, printed };
}

const sized = (type: string, quantity: number, memoryMb = 512, cpu = 0.5): SizedFormationEntry => ({ type, quantity, memoryMb, cpu });

describe('cli ps commands', () => {
  describe('parseQuantities (ps:scale TYPE=QUANTITY …)', () => {
    it('reads TYPE=QUANTITY and TYPE:QUANTITY', () => {
      expect(parseQuantities(['web=3', 'worker:0'])).to.deep.equal({ web: 3, worker: 0 });
    });

    it('accepts type names with digits, dashes and underscores, and surrounding spaces', () => {
      expect(parseQuantities(['web-2=1', 'mail_worker=2', ' clock=1 ', 'W1=007'])).to.deep.equal({ 'web-2': 1, mail_worker: 2, clock: 1, W1: 7 });
    });

    it('keeps the last quantity of a type given twice', () => {
      expect(parseQuantities(['web=1', 'web=4'])).to.deep.equal({ web: 4 });
    });

    it('says what to type when given nothing', () => {
      expect(cliError(() => parseQuantities([])).message).to.equal('Say what to scale, like: slipway ps:scale my-app web=2 worker=1');
    });

    it('refuses anything but TYPE=WHOLE_NUMBER, quoting the argument', () => {
      for (const arg of ['web', 'web=', '=2', 'web=-1', 'web=1.5', 'web=two', 'web+1', 'web==2', 'web.1=2', 'web=2 worker=1']) {
        expect(cliError(() => parseQuantities(['worker=1', arg])).message, arg).to.equal(`"${arg}" is not TYPE=QUANTITY, like web=2.`);
      }
    });
  });

  describe('ps', () => {
    const view: PsView = {
      formation: [sized('web', 1)],
      instances: [{ id: 'web.1', type: 'web', state: 'running', release: 2, url: null, startedAt: '2025-06-01T11:58:00Z', restartCount: 0 }],
    };

    it('prints the formation and instances of the app', async () => {
      const { ctx, sent, printed } = context(() => ({ status: 200, body: view }));
      await ps(ctx, 'shop', {});
      expect(sent).to.deep.equal([{ method: 'GET', path: '/apps/shop/ps', body: undefined }]);
      expect(printed).to.have.length(1);
      expect(printed[0]).to.match(/^=== shop formation\nweb: 1 × 512 MB, 0\.5 CPU\n/);
      expect(printed[0]).to.include('2 minutes');
    });

    it('prints the API\'s JSON with --json', async () => {
      const { ctx, printed } = context(() => ({ status: 200, body: view }));
      await ps(ctx, 'shop', { json: true });
      expect(JSON.parse(printed[0]!)).to.deep.equal(view);
    });
  });

  describe('ps:scale', () => {
    it('sends the quantities and names what now runs, leaving out types at 0', async () => {
      const { ctx, sent, printed } = context(() => ({ status: 200, body: [sized('web', 2), sized('worker', 0), sized('clock', 1)] }));
      await psScale(ctx, 'shop', ['web=2', 'worker=0', 'clock=1']);
      expect(sent).to.deep.equal([{ method: 'PATCH', path: '/apps/shop/formation', body: { web: 2, worker: 0, clock: 1 } }]);
      expect(printed).to.deep.equal(['Scaling shop... done, now running web=2 clock=1']);
    });

    it('says "nothing" runs once everything is scaled to 0', async () => {
      const { ctx, printed } = context(() => ({ status: 200, body: [sized('web', 0)] }));
      await psScale(ctx, 'shop', ['web=0']);
      expect(printed).to.deep.equal(['Scaling shop... done, now running nothing']);
    });

    it('refuses bad arguments before calling the API', async () => {
      const { ctx, sent } = context(() => ({ status: 500 }));
      expect((await rejection(psScale(ctx, 'shop', ['web=x']))).message).to.equal('"web=x" is not TYPE=QUANTITY, like web=2.');
      expect(sent).to.deep.equal([]);
    });

    it('shows the API\'s refusal (e.g. not enough capacity) as it is', async () => {
      const message = 'Insufficient capacity on this host for web=40: memory: needs 20480 MB, 3072 MB left of 8192 MB. Scale something down or lower the size with ps:resize.';
      const { ctx, printed } = context(() => ({ status: 409, body: { error: { code: 'insufficient_capacity', message } } }));
      const error = await rejection(psScale(ctx, 'shop', ['web=40']));
      expect(error.message).to.equal(message);
      expect(error.code).to.equal('insufficient_capacity');
      expect(printed).to.deep.equal([]);
    });
  });

  describe('ps:resize', () => {
    it('sends memory as written and cpu as a number, then prints the new size', async () => {
      const { ctx, sent, printed } = context(() => ({ status: 200, body: sized('web', 2, 1024, 2) }));
      await psResize(ctx, 'shop', 'web', { memory: '1g', cpu: '2' });
      expect(sent).to.deep.equal([{ method: 'PATCH', path: '/apps/shop/formation/web', body: { memory: '1g', cpu: 2 } }]);
      expect(printed).to.deep.equal(['Resizing and restarting web of shop... done, web: 1 GB, 2 CPU']);
    });

    it('sends only what was given', async () => {
      const memoryOnly = context(() => ({ status: 200, body: sized('worker', 1, 768, 0.5) }));
      await psResize(memoryOnly.ctx, 'shop', 'worker', { memory: '768m' });
      expect(memoryOnly.sent[0]!.body).to.deep.equal({ memory: '768m' });
      expect(memoryOnly.printed).to.deep.equal(['Resizing and restarting worker of shop... done, worker: 768 MB, 0.5 CPU']);

      const cpuOnly = context(() => ({ status: 200, body: sized('worker', 1, 512, 0.25) }));
      await psResize(cpuOnly.ctx, 'shop', 'worker', { cpu: '0.25' });
      expect(cpuOnly.sent[0]!.body).to.deep.equal({ cpu: 0.25 });
    });

    it('asks for a size when given none', async () => {
      const { ctx, sent } = context(() => ({ status: 500 }));
      expect((await rejection(psResize(ctx, 'shop', 'web', {}))).message).to.equal('Give a new size: --memory 512m and/or --cpu 0.5');
      expect(sent).to.deep.equal([]);
    });

    it('refuses a CPU amount that is not a positive number, before calling the API', async () => {
      const { ctx, sent } = context(() => ({ status: 500 }));
      for (const cpu of ['0', '-1', 'half', 'NaN']) {
        expect((await rejection(psResize(ctx, 'shop', 'web', { cpu }))).message, cpu).to.equal(`--cpu ${cpu}: give a number of cores, like 0.5 or 2.`);
      }
      expect(sent).to.deep.equal([]);
    });
  });

  describe('ps:restart and ps:stop', () => {
    it('restarts every process type when none is named', async () => {
      const { ctx, sent, printed } = context(() => ({ status: 204 }));
      await psRestart(ctx, 'shop', undefined);
      expect(sent).to.deep.equal([{ method: 'POST', path: '/apps/shop/ps/restart', body: {} }]);
      expect(printed).to.deep.equal(['Restarting all processes of shop... done']);
    });

    it('restarts one process type when named', async () => {
      const { ctx, sent, printed } = context(() => ({ status: 204 }));
      await psRestart(ctx, 'shop', 'worker');
      expect(sent).to.deep.equal([{ method: 'POST', path: '/apps/shop/ps/restart', body: { type: 'worker' } }]);
      expect(printed).to.deep.equal(['Restarting worker processes of shop... done']);
    });

    it('stops a process type and tells how to start it again', async () => {
      const { ctx, sent, printed } = context(() => ({ status: 200, body: [sized('web', 1), sized('worker', 0)] }));
      await psStop(ctx, 'shop', 'worker');
      expect(sent).to.deep.equal([{ method: 'POST', path: '/apps/shop/ps/stop', body: { type: 'worker' } }]);
      expect(printed).to.deep.equal(['Stopping worker processes of shop... done; start them again with: slipway ps:scale shop worker=1']);
    });

    it('prints nothing when the API refuses', async () => {
      const message = 'No process type clock in shop: it declares web, worker. Add it to the Procfile and push.';
      const { ctx, printed } = context(() => ({ status: 400, body: { error: { code: 'invalid_request', message } } }));
      expect((await rejection(psStop(ctx, 'shop', 'clock'))).message).to.equal(message);
      expect(printed).to.deep.equal([]);
    });
  });
});
