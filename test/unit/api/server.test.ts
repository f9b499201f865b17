import { expect } from 'chai';
import { apiDeps, request, startApi } from '../../support/api';

describe('api/server', () => {
  let api: Awaited<ReturnType<typeof startApi>>;
  before(async () => { api = await startApi(apiDeps()); });
  after(async () => { await api.close(); });

  it('answers a 5 MB JSON body with 413 payload_too_large, saying what the limit is', async () => {
    const body = JSON.stringify({ BIG: 'x'.repeat(5 * 1024 * 1024) });
    const answer = await request(`${api.url}/apps/shop/config`, { method: 'PATCH', body });
    expect(answer.status).to.equal(413);
    const error = (answer.body as { error: { code: string; message: string } }).error;
    expect(error.code).to.equal('payload_too_large');
    expect(error.message).to.include('1 MB');
  });

  it('answers a body that is not JSON with 400 invalid_request', async () => {
    const answer = await request(`${api.url}/apps/shop/config`, { method: 'PATCH', body: '{not json' });
    expect(answer.status).to.equal(400);
    expect((answer.body as { error: { code: string } }).error.code).to.equal('invalid_request');
  });
});
