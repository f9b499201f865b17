import { expect } from 'chai';
import { ApiClient, type FetchLike } from '../../../cli/api-client';
import { CliError } from '../../../cli/cli-error';

interface Call {
  url: string;
  init: RequestInit | undefined;
}

function fakeFetch(answer: () => Response | Promise<Response>): { fetch: FetchLike; calls: Call[] } {
  const calls: Call[] = [];
  return {
    calls,
    fetch: async (url, init) => {
      calls.push({ url, init });
      return answer();
    },
  };
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

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

describe('cli/api-client', () => {
  it('calls <apiUrl>/api/v1 with the bearer token and a JSON body', async () => {
    const f = fakeFetch(() => json(201, { name: 'shop' }));
    const client = new ApiClient({ apiUrl: 'http://api.test:5080/', token: 'tok', fetch: f.fetch });
    expect(await client.createApp('shop')).to.deep.equal({ name: 'shop' });
    expect(f.calls).to.have.length(1);
    const [call] = f.calls;
    expect(call.url).to.equal('http://api.test:5080/api/v1/apps');
    expect(call.init?.method).to.equal('POST');
    const headers = call.init?.headers as Record<string, string>;
    expect(headers.authorization).to.equal('Bearer tok');
    expect(headers['content-type']).to.equal('application/json');
    expect(JSON.parse(String(call.init?.body))).to.deep.equal({ name: 'shop' });
  });

  it('encodes path segments and the destroy confirmation', async () => {
    const f = fakeFetch(() => new Response(null, { status: 204 }));
    const client = new ApiClient({ apiUrl: 'http://api.test', token: 'tok', fetch: f.fetch });
    expect(await client.destroyApp('shop', 'shop')).to.equal(undefined);
    await client.removeKey('SHA256:ab+c/d');
    expect(f.calls.map((c) => `${c.init?.method} ${c.url}`)).to.deep.equal([
      'DELETE http://api.test/api/v1/apps/shop?confirm=shop',
      'DELETE http://api.test/api/v1/keys/SHA256%3Aab%2Bc%2Fd',
    ]);
  });

  it('turns an error body into a CliError with its message, code and status', async () => {
    const f = fakeFetch(() => json(409, { error: { code: 'app_exists', message: 'The app shop already exists.' } }));
    const client = new ApiClient({ apiUrl: 'http://api.test', token: 'tok', fetch: f.fetch });
    const e = await rejection(client.createApp('shop'));
    expect(e.message).to.equal('The app shop already exists.');
    expect(e.code).to.equal('app_exists');
    expect(e.status).to.equal(409);
  });

  it('describes an error answer that is not a Slipway error', async () => {
    const f = fakeFetch(() => new Response('<html>bad gateway</html>', { status: 502, statusText: 'Bad Gateway' }));
    const client = new ApiClient({ apiUrl: 'http://api.test', token: 'tok', fetch: f.fetch });
    const e = await rejection(client.listApps());
    expect(e.message).to.include('HTTP 502 Bad Gateway');
    expect(e.message).to.include('http://api.test');
  });

  it('says the API is not reachable when the connection is refused', async () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5080'), { code: 'ECONNREFUSED' });
    const client = new ApiClient({
      apiUrl: 'http://127.0.0.1:5080',
      token: 'tok',
      fetch: () => Promise.reject(new TypeError('fetch failed', { cause: refused })),
    });
    const e = await rejection(client.listApps());
    expect(e.message).to.equal(
      'The Slipway API is not reachable at http://127.0.0.1:5080 (connection refused): start the platform with scripts/up, or set SLIPWAY_API_URL.',
    );
  });
});
