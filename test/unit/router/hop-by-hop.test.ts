import { expect } from 'chai';
import { backendRequestHeaders, clientResponseHeaders, type BackendRequestOptions } from '../../../router/hop-by-hop';

const ADDED = ['X-Forwarded-For', '10.0.0.1', 'X-Request-Id', 'abc'];

function options(overrides: Partial<BackendRequestOptions> = {}): BackendRequestOptions {
  return { method: 'GET', connectionTokens: [], chunked: false, hasContentLength: false, isUpgrade: false, added: ADDED, ...overrides };
}

describe('router/hop-by-hop', () => {
  describe('request headers for the backend', () => {
    it('drops connection-scoped headers, including those the Connection header names', () => {
      const raw = [
        'Host', 'shop.test',
        'Connection', 'keep-alive, X-Secret-Hop',
        'Keep-Alive', 'timeout=5',
        'Proxy-Connection', 'keep-alive',
        'Proxy-Authorization', 'Basic eA==',
        'TE', 'trailers',
        'X-Secret-Hop', '1',
        'Upgrade', 'h2c',
        'Accept', '*/*',
      ];
      const out = backendRequestHeaders(raw, options({ connectionTokens: ['keep-alive', 'x-secret-hop'] }));
      expect(out).to.deep.equal(['Host', 'shop.test', 'Accept', '*/*', ...ADDED]);
    });

    it('replaces the X-Forwarded-* and X-Request-Id a client sent, and drops Expect (the router answers it)', () => {
      const raw = ['Host', 'a', 'X-Forwarded-Proto', 'https', 'X-Forwarded-For', '1.2.3.4', 'x-request-id', 'mine', 'Expect', '100-continue'];
      expect(backendRequestHeaders(raw, options())).to.deep.equal(['Host', 'a', ...ADDED]);
    });

    it('keeps the name case and repeated headers as sent', () => {
      const raw = ['host', 'a', 'X-Custom', '1', 'X-Custom', '2', 'cookie', 'a=1'];
      expect(backendRequestHeaders(raw, options())).to.deep.equal(['host', 'a', 'X-Custom', '1', 'X-Custom', '2', 'cookie', 'a=1', ...ADDED]);
    });

    it('keeps the WebSocket handshake headers on an upgrade', () => {
      const raw = ['Host', 'chat.test', 'Connection', 'keep-alive, Upgrade', 'Upgrade', 'websocket', 'Sec-WebSocket-Key', 'k'];
      const out = backendRequestHeaders(raw, options({ isUpgrade: true, connectionTokens: ['keep-alive', 'upgrade'] }));
      expect(out).to.deep.equal(['Host', 'chat.test', 'Sec-WebSocket-Key', 'k', 'Connection', 'Upgrade', 'Upgrade', 'websocket', ...ADDED]);
    });

    it('never drops Host or the body framing, even when Connection lists them', () => {
      const raw = ['Host', 'shop.test', 'Connection', 'host, content-length', 'Content-Length', '3'];
      const out = backendRequestHeaders(raw, options({ method: 'POST', connectionTokens: ['host', 'content-length'], hasContentLength: true }));
      expect(out).to.deep.equal(['Host', 'shop.test', 'Content-Length', '3', ...ADDED]);
    });

    it('sends a chunked body chunked again, and says Content-Length: 0 for a POST without a body', () => {
      const chunked = backendRequestHeaders(['Host', 'a', 'Transfer-Encoding', 'chunked'], options({ method: 'POST', chunked: true }));
      expect(chunked).to.deep.equal(['Host', 'a', 'Transfer-Encoding', 'chunked', ...ADDED]);
      const empty = backendRequestHeaders(['Host', 'a'], options({ method: 'POST' }));
      expect(empty).to.deep.equal(['Host', 'a', 'Content-Length', '0', ...ADDED]);
      const get = backendRequestHeaders(['Host', 'a'], options({ method: 'GET' }));
      expect(get).to.deep.equal(['Host', 'a', ...ADDED]);
    });
  });

  describe('response headers for the client', () => {
    it('drops hop-by-hop headers and what Connection names, keeps the rest, adds the request id', () => {
      const raw = [
        'Content-Type', 'text/plain',
        'Connection', 'keep-alive, X-Backend-Hop',
        'Keep-Alive', 'timeout=5',
        'Transfer-Encoding', 'chunked',
        'X-Backend-Hop', 'x',
        'Set-Cookie', 'a=1',
        'Set-Cookie', 'b=2',
        'X-Request-Id', 'from-the-app',
      ];
      expect(clientResponseHeaders(raw, 'rid')).to.deep.equal([
        'Content-Type', 'text/plain',
        'Set-Cookie', 'a=1',
        'Set-Cookie', 'b=2',
        'X-Request-Id', 'rid',
      ]);
    });

    it('keeps Connection and Upgrade on a 101 answer', () => {
      const raw = ['Upgrade', 'websocket', 'Connection', 'Upgrade', 'Sec-WebSocket-Accept', 'x'];
      expect(clientResponseHeaders(raw, 'rid', true)).to.deep.equal([...raw, 'X-Request-Id', 'rid']);
    });
  });
});
