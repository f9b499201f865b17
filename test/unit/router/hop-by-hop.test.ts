import { expect } from 'chai';
import type { IncomingHttpHeaders } from 'node:http';
import { removeHopByHopHeaders } from '../../../router/hop-by-hop';

describe('router/hop-by-hop', () => {
  it('drops connection-scoped headers, including those the Connection header names', () => {
    const headers: IncomingHttpHeaders = {
      host: 'shop.test',
      connection: 'keep-alive, X-Secret-Hop',
      'keep-alive': 'timeout=5',
      'proxy-connection': 'keep-alive',
      'x-secret-hop': '1',
      upgrade: 'h2c',
      accept: '*/*',
    };
    removeHopByHopHeaders(headers, false);
    expect(headers).to.deep.equal({ host: 'shop.test', accept: '*/*' });
  });

  it('keeps the WebSocket handshake headers on an upgrade', () => {
    const headers: IncomingHttpHeaders = { host: 'shop.test', connection: 'Upgrade', upgrade: 'websocket' };
    removeHopByHopHeaders(headers, true);
    expect(headers).to.deep.equal({ host: 'shop.test', connection: 'Upgrade', upgrade: 'websocket' });
  });

  it('never drops Host or the body framing, even when Connection lists them', () => {
    const headers: IncomingHttpHeaders = { host: 'shop.test', connection: 'host, content-length', 'content-length': '3' };
    removeHopByHopHeaders(headers, false);
    expect(headers).to.deep.equal({ host: 'shop.test', 'content-length': '3' });
  });
});
