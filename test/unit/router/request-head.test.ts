import { expect } from 'chai';
import { MAX_LINE_BYTES, overflowCode, requestIdFor, requestLineTooLong, scanRequestHead } from '../../../router/request-head';

describe('router/request-head', () => {
  it('reads what the proxy needs in one pass, whatever the case of the names', () => {
    const head = scanRequestHead([
      'HOST', 'shop.test',
      'Accept', 'text/html',
      'Content-Length', '12',
      'X-Request-Id', 'abc-123',
      'X-Forwarded-For', '1.1.1.1',
      'x-forwarded-for', '2.2.2.2',
      'Connection', 'keep-alive, X-Hop',
      'Expect', '100-Continue',
      'Te', 'trailers',
    ]);
    expect(head).to.deep.equal({
      host: 'shop.test',
      hostCount: 1,
      accept: 'text/html',
      contentLength: 12,
      chunked: false,
      requestId: 'abc-123',
      forwardedFor: '1.1.1.1, 2.2.2.2',
      connectionTokens: ['keep-alive', 'x-hop'],
      expectContinue: true,
      trailers: true,
      oversizeHeader: undefined,
    });
  });

  it('counts Host headers, so an ambiguous request can be refused', () => {
    expect(scanRequestHead(['Host', 'a.test', 'Host', 'b.test']).hostCount).to.equal(2);
    expect(scanRequestHead([]).host).to.equal(undefined);
  });

  it('treats a chunked body as of unknown length', () => {
    const head = scanRequestHead(['Host', 'a', 'Transfer-Encoding', 'chunked']);
    expect(head.chunked).to.equal(true);
    expect(head.contentLength).to.equal(null);
  });

  it('finds the first header line over 8 KB (name, colon, space and value)', () => {
    const fits = 'x'.repeat(MAX_LINE_BYTES - 'X-Big: '.length);
    expect(scanRequestHead(['Host', 'a', 'X-Big', fits]).oversizeHeader).to.equal(undefined);
    expect(scanRequestHead(['Host', 'a', 'X-Big', `${fits}x`]).oversizeHeader).to.equal('X-Big');
  });

  it('limits the request line to 8 KB', () => {
    const path = `/${'a'.repeat(MAX_LINE_BYTES - 'GET  HTTP/1.1'.length - 1)}`;
    expect(requestLineTooLong('GET', path)).to.equal(false);
    expect(requestLineTooLong('GET', `${path}a`)).to.equal(true);
  });

  it('keeps a usable X-Request-Id and replaces a missing, long or odd one with a UUID', () => {
    expect(requestIdFor('abc-123_x.y/z=')).to.equal('abc-123_x.y/z=');
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
    expect(requestIdFor(undefined)).to.match(uuid);
    expect(requestIdFor('')).to.match(uuid);
    expect(requestIdFor('has space')).to.match(uuid);
    expect(requestIdFor('x'.repeat(201))).to.match(uuid);
    expect(requestIdFor(undefined)).to.not.equal(requestIdFor(undefined));
  });

  it('tells an over-long request line from over-large headers when Node refuses the head', () => {
    expect(overflowCode(Buffer.from(`GET /${'a'.repeat(9000)}`))).to.equal('R414');
    expect(overflowCode(Buffer.from(`GET / HTTP/1.1\r\nHost: a\r\nX-Big: ${'b'.repeat(70_000)}`))).to.equal('R431');
    expect(overflowCode(undefined)).to.equal('R431');
    // A later chunk of the head: which line overflowed cannot be told.
    expect(overflowCode(Buffer.from(`${'a'.repeat(5000)} HTTP/1.1\r\nHost: a\r\n\r\n`))).to.equal('R431');
  });
});
