import { expect } from 'chai';
import { parseRequestHead, parseResponseHead, type FastRequestHead, type ResponseHead } from '../../../router/http1';

function request(text: string): FastRequestHead {
  const result = parseRequestHead(Buffer.from(text, 'latin1'));
  if (result.kind !== 'request') throw new Error(`expected a request, got ${JSON.stringify(result)}`);
  return result.head;
}

function fallbackReason(text: string): string {
  const result = parseRequestHead(Buffer.from(text, 'latin1'));
  if (result.kind !== 'fallback') throw new Error(`expected a fallback, got ${result.kind}`);
  return result.reason;
}

function response(text: string, headRequest = false): ResponseHead {
  const result = parseResponseHead(Buffer.from(text, 'latin1'), headRequest);
  if (result.kind !== 'response') throw new Error(`expected a response, got ${JSON.stringify(result)}`);
  return result.head;
}

describe('router/http1', () => {
  describe('request heads the fast path carries', () => {
    it('waits for the blank line that ends the head', () => {
      expect(parseRequestHead(Buffer.from('GET / HTTP/1.1\r\nHost: a\r\n')).kind).to.equal('incomplete');
      expect(parseRequestHead(Buffer.from('GE')).kind).to.equal('incomplete');
      expect(parseRequestHead(Buffer.from('GET /a HTTP/1.1\r\nHost: a\r\nX-Long: 12')).kind).to.equal('incomplete');
      for (const start of ['G', 'GE', 'PROPF', 'CONN', 'M-SEA', 'GET ', 'GET /a', 'GET /a ', 'GET /a HTTP/1.', 'GET /a HTTP/1.1\r', 'GET /a HTTP/1.1\r\nHo', 'GET /a HTTP/1.1\r\nHost:', 'GET /a HTTP/1.1\r\nHost: a\r', 'GET /a HTTP/1.1\r\nHost: a\r\n\r', 'POST /a HTTP/1.1\r\nContent-Length:', 'POST /a HTTP/1.1\r\ncontent-length: 12', 'POST /a HTTP/1.1\r\nContent-Length: 12\r']) expect(parseRequestHead(Buffer.from(start)).kind, start).to.equal('incomplete');
    });

    it('reads method, target, host and length, and says how many bytes the head took', () => {
      const text = 'POST /orders?x=1 HTTP/1.1\r\nHost: Shop.Test:8080\r\nContent-Length: 12\r\n\r\n{"items":[]}';
      const head = request(text);
      expect(head).to.include({ method: 'POST', target: '/orders?x=1', host: 'Shop.Test:8080', contentLength: 12, close: false });
      expect(head.headBytes).to.equal(text.length - 12);
    });

    it('passes end-to-end header lines on byte for byte, in order, names in their case', () => {
      const head = request('GET /a HTTP/1.1\r\nHost: a\r\nX-Custom:   spaced value \r\nCookie: k=v; x=\xe9\r\nAccept: text/html\r\n\r\n');
      expect(head.forwardedHead).to.equal('GET /a HTTP/1.1\r\nHost: a\r\nX-Custom:   spaced value \r\nCookie: k=v; x=\xe9\r\nAccept: text/html');
      expect(head.accept).to.equal('text/html');
    });

    it('drops hop-by-hop headers, those Connection names, and the ones the router sets itself', () => {
      const head = request(
        'GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, X-Hop\r\nKeep-Alive: timeout=5\r\nX-Hop: 1\r\nTE: trailers\r\n' +
          'Proxy-Connection: keep-alive\r\nX-Forwarded-Proto: https\r\nX-Forwarded-For: 1.2.3.4\r\nX-Request-Id: abc\r\nX-Kept: yes\r\n\r\n',
      );
      expect(head.forwardedHead).to.equal('GET / HTTP/1.1\r\nHost: a\r\nX-Kept: yes');
      expect(head.forwardedFor).to.equal('1.2.3.4');
      expect(head.requestId).to.equal('abc');
    });

    it('never drops Host or Content-Length, even when Connection names them', () => {
      const head = request('PUT / HTTP/1.1\r\nHost: a\r\nConnection: host, content-length\r\nContent-Length: 0\r\n\r\n');
      expect(head.forwardedHead).to.equal('PUT / HTTP/1.1\r\nHost: a\r\nContent-Length: 0');
    });

    it('joins repeated X-Forwarded-For headers', () => {
      expect(request('GET / HTTP/1.1\r\nHost: a\r\nX-Forwarded-For: 1.1.1.1\r\nX-Forwarded-For: 2.2.2.2\r\n\r\n').forwardedFor).to.equal('1.1.1.1, 2.2.2.2');
    });

    it('says Content-Length: 0 for a body-carrying method sent without a length', () => {
      expect(request('POST / HTTP/1.1\r\nHost: a\r\n\r\n').forwardedHead).to.equal('POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0');
      expect(request('GET / HTTP/1.1\r\nHost: a\r\n\r\n').forwardedHead).to.equal('GET / HTTP/1.1\r\nHost: a');
    });

    it('notes a client that takes trailer fields (TE: trailers), and drops TE', () => {
      expect(request('GET / HTTP/1.1\r\nHost: a\r\n\r\n').trailers).to.equal(false);
      const head = request('GET / HTTP/1.1\r\nHost: a\r\nTE: trailers\r\nConnection: TE\r\n\r\n');
      expect(head.trailers).to.equal(true);
      expect(head.forwardedHead).to.equal('GET / HTTP/1.1\r\nHost: a');
    });

    it('carries methods llhttp knows, PURGE and QUERY among them', () => {
      expect(request('PURGE / HTTP/1.1\r\nHost: a\r\n\r\n').method).to.equal('PURGE');
      expect(request('QUERY / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n').method).to.equal('QUERY');
    });

    it('notes a client that wants the connection closed', () => {
      expect(request('GET / HTTP/1.1\r\nHost: a\r\nConnection: Close\r\n\r\n').close).to.equal(true);
    });
  });

  describe('request heads left to the full proxy (Node\'s parser)', () => {
    const cases: Array<[string, string]> = [
      ['HTTP/1.0', 'GET / HTTP/1.0\r\nHost: a\r\n\r\n'],
      ['a chunked body', 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n'],
      ['Expect: 100-continue', 'POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\n'],
      ['a WebSocket upgrade', 'GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n'],
      ['Connection: upgrade alone', 'GET / HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\n\r\n'],
      ['two Content-Lengths', 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\n'],
      ['a Content-Length that is not a number', 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1e3\r\n\r\n'],
      ['a negative Content-Length', 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n'],
      ['two Host headers', 'GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n'],
      ['no Host header', 'GET / HTTP/1.1\r\nAccept: */*\r\n\r\n'],
      ['an obsolete line fold', 'GET / HTTP/1.1\r\nHost: a\r\nX-Long: one\r\n two\r\n\r\n'],
      ['a bare LF in a value', 'GET / HTTP/1.1\r\nHost: a\r\nX-Bad: a\nb\r\n\r\n'],
      ['a control character in a value', 'GET / HTTP/1.1\r\nHost: a\r\nX-Bad: a\x01b\r\n\r\n'],
      ['a space before the colon', 'GET / HTTP/1.1\r\nHost : a\r\n\r\n'],
      ['an absolute-form target', 'GET http://a/ HTTP/1.1\r\nHost: a\r\n\r\n'],
      ['CONNECT', 'CONNECT a:443 HTTP/1.1\r\nHost: a\r\n\r\n'],
      ['a method in lower case', 'get / HTTP/1.1\r\nHost: a\r\n\r\n'],
      ['a method llhttp does not know', 'MKCOLA / HTTP/1.1\r\nHost: a\r\n\r\n'],
      ['a Content-Length with a tab before it', 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length:\t1\r\n\r\n'],
      ['a Content-Length with whitespace after it', 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\t\r\n\r\n'],
      ['a Content-Length without a space before it', 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length:1\r\n\r\n'],
      ['a head whose lines end in bare LFs (at once, not when it is complete)', 'GET / HTTP/1.1\nHost: a\n'],
      ['an unknown method before the head is complete (llhttp refuses it at its first byte)', 'ET /a?b=c HTTP/1.1\r\nHost: shop.test\r\nAccept: */*\r\n'],
      ['an unknown method as soon as the space after it arrives', 'ET /a'],
      ['bytes no method starts with, before any space (llhttp refuses them at the first such byte)', 'abc'],
      ['a method longer than any llhttp knows, with no space yet', 'GETGETGETGETGETGETGET'],
      ['a version llhttp refuses, before the line ends', 'GET /2 HTTP/1.Host: other.test\r'],
      ['a control byte in the target, before the line ends', 'GET /a\x01'],
      ['a space in a field name, before the line ends', 'GET /2 HTTP/1.1\r\nHo other.test\r'],
      ['a letter in a Content-Length, before its line ends', 'POST /form HTTP/1.1\r\nHost: a\r\nContent-Length: 5hello'],
      ['an empty Content-Length, before the head is complete (llhttp refuses it at its line end)', 'POST /form HTTP/1.1\r\nHost: a\r\nContent-Length:\r\nhello'],
      ['a control byte in a field value, before the line ends', 'GET /2 HTTP/1.1\r\nHost: a\x01'],
      ['a bare CR where the blank line should be, before the head is complete', 'GET /a HTTP/1.1\r\nHost: a\r\n\r\r'],
      ['a broken header line before the head is complete', 'GET / HTTP/1.1\r\nHo st: a\r\nX: 1'],
      ['a space in the target', 'GET /a b HTTP/1.1\r\nHost: a\r\n\r\n'],
      ['a request line over 8 KB', `GET /${'a'.repeat(8200)} HTTP/1.1\r\nHost: a\r\n\r\n`],
      ['a header line over 8 KB', `GET / HTTP/1.1\r\nHost: a\r\nX-Big: ${'b'.repeat(8200)}\r\n\r\n`],
    ];
    for (const [what, text] of cases) {
      it(`falls back for ${what}`, () => {
        expect(fallbackReason(text)).to.be.a('string').and.not.equal('');
      });
    }

    it('falls back for a head over 64 KB, complete or not', () => {
      const lines = Array.from({ length: 10 }, (_, i) => `X-H${i}: ${'v'.repeat(7000)}\r\n`).join('');
      expect(parseRequestHead(Buffer.from(`GET / HTTP/1.1\r\nHost: a\r\n${lines}\r\n`)).kind).to.equal('fallback');
      expect(parseRequestHead(Buffer.from(`GET / HTTP/1.1\r\nHost: a\r\n${lines}`)).kind).to.equal('fallback');
    });
  });

  describe('response heads', () => {
    it('waits for the blank line, and refuses a broken status line', () => {
      expect(parseResponseHead(Buffer.from('HTTP/1.1 200 OK\r\n'), false).kind).to.equal('incomplete');
      expect(parseResponseHead(Buffer.from('HTTP/2 200\r\n\r\n'), false).kind).to.equal('invalid');
      expect(parseResponseHead(Buffer.from('HTTP/1.1 20 OK\r\n\r\n'), false).kind).to.equal('invalid');
    });

    it('skips interim answers (103 Early Hints) and refuses a 101 nobody asked for', () => {
      const result = parseResponseHead(Buffer.from('HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\nHTTP/1.1 200 OK\r\n'), false);
      expect(result).to.deep.equal({ kind: 'interim', headBytes: 'HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\n'.length });
      expect(parseResponseHead(Buffer.from('HTTP/1.1 101 Switching Protocols\r\n\r\n'), false).kind).to.equal('invalid');
    });

    it('reads an interim head to the same grammar before dropping it (a broken one is invalid)', () => {
      expect(parseResponseHead(Buffer.from('HTTP/1.1 103 Early Hints\r\nLink: </a.c\r\nss>\r\n\r\nHTTP/1.1 200 OK\r\n\r\n'), false).kind).to.equal('invalid');
      expect(parseResponseHead(Buffer.from('HTTP/1.1 103 Early Hints\r\nHTTP/1.1 103 Early Hints\r\n\r\n'), false).kind).to.equal('invalid');
      expect(parseResponseHead(Buffer.from('HTTP/1.1 100 Continue\r\nX-A: \x01\r\n\r\n'), false).kind).to.equal('invalid');
      expect(parseResponseHead(Buffer.from('HTTP/1.1 100 Continue\r\n\r\n'), false).kind).to.equal('interim');
    });

    it('frames a body by Content-Length and keeps the connection', () => {
      const head = response('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello');
      expect(head).to.deep.include({ status: 200, framing: { kind: 'length', length: 5 }, reusable: true });
      expect(head.clientHead).to.equal('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5');
    });

    it('passes chunks on as chunks, and refuses a Content-Length beside Transfer-Encoding (as llhttp does)', () => {
      const head = response('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n');
      expect(head.framing).to.deep.equal({ kind: 'chunked' });
      expect(head.clientHead).to.equal('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked');
      expect(parseResponseHead(Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 99\r\n\r\n'), false).kind).to.equal('invalid');
    });

    it('reads a body with no length, or a non-chunked coding, until the backend closes', () => {
      expect(response('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n')).to.deep.include({ framing: { kind: 'close' }, reusable: false });
      expect(response('HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n')).to.deep.include({ framing: { kind: 'close' }, reusable: false });
    });

    it('expects no body after HEAD, 204 and 304, whatever the headers say', () => {
      expect(response('HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n', true).framing).to.deep.equal({ kind: 'none' });
      expect(response('HTTP/1.1 204 No Content\r\n\r\n').framing).to.deep.equal({ kind: 'none' });
      expect(response('HTTP/1.1 304 Not Modified\r\nContent-Length: 50\r\n\r\n').framing).to.deep.equal({ kind: 'none' });
    });

    it('does not reuse a connection the backend closes, or an HTTP/1.0 one without keep-alive', () => {
      expect(response('HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n').reusable).to.equal(false);
      expect(response('HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n').reusable).to.equal(false);
      expect(response('HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n').reusable).to.equal(true);
    });

    it('drops hop-by-hop headers, those Connection names, and any X-Request-Id the app set', () => {
      const head = response('HTTP/1.1 200 OK\r\nConnection: keep-alive, X-Internal\r\nKeep-Alive: timeout=5\r\nX-Internal: 1\r\nX-Request-Id: fake\r\nX-Kept: 1\r\nContent-Length: 0\r\n\r\n');
      expect(head.clientHead).to.equal('HTTP/1.1 200 OK\r\nX-Kept: 1\r\nContent-Length: 0');
    });

    it('refuses several Content-Lengths, even identical ones (as llhttp does), and one with a tab after it', () => {
      expect(parseResponseHead(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n'), false).kind).to.equal('invalid');
      expect(parseResponseHead(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\n'), false).kind).to.equal('invalid');
      expect(parseResponseHead(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 2\t\r\n\r\n'), false).kind).to.equal('invalid');
      expect(response('HTTP/1.1 200 OK\r\nContent-Length:\t2 \r\n\r\n').framing).to.deep.equal({ kind: 'length', length: 2 });
    });

    it('refuses header lines that could split the response', () => {
      expect(parseResponseHead(Buffer.from('HTTP/1.1 200 OK\r\nX-Bad: a\nb\r\n\r\n'), false).kind).to.equal('invalid');
      expect(parseResponseHead(Buffer.from('HTTP/1.1 200 OK\r\nno colon\r\n\r\n'), false).kind).to.equal('invalid');
    });
  });
});
