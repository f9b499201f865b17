/**
 * The corpus of the differential tests (differential.test.ts): request and response byte sequences,
 * one or more per rule of RFC 9112 §2–7, then the classic request-smuggling and response-desync
 * vectors. Data only: the harness (differential-harness.ts) decides with llhttp what each means.
 * Strings are latin1, so any byte can be written (`\x00`, `\x80`, …). Findings of the differential
 * fuzzer (test/fuzz/differential.ts) are added at the end of each list, under "fuzzer:".
 */
import type { RequestCase, ResponseCase } from './differential-harness';

const HOST = 'Host: shop.test\r\n';
/** A GET that closes the connection after its answer, so the case ends without waiting. */
const GET_CLOSE = `GET /next HTTP/1.1\r\n${HOST}Connection: close\r\n\r\n`;

export const REQUEST_CASES: readonly RequestCase[] = [
  // §2.1 message format
  { name: 'a plain GET', rule: '§2.1', bytes: `GET / HTTP/1.1\r\n${HOST}\r\n` },
  { name: 'a POST with a body', rule: '§2.1', bytes: `POST /form HTTP/1.1\r\n${HOST}Content-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello` },
  // §2.2 message parsing
  { name: 'a bare LF ends the request line', rule: '§2.2 bare LF', bytes: `GET / HTTP/1.1\n${HOST}\r\n` },
  { name: 'a bare LF ends a header line', rule: '§2.2 bare LF', bytes: `GET / HTTP/1.1\r\nHost: shop.test\nX-Other: 1\r\n\r\n` },
  { name: 'bare LFs throughout', rule: '§2.2 bare LF', bytes: 'GET / HTTP/1.1\nHost: shop.test\n\n' },
  { name: 'a bare CR inside the request line', rule: '§2.2 bare CR', bytes: `GET /a\rb HTTP/1.1\r\n${HOST}\r\n` },
  { name: 'a bare CR inside a field value', rule: '§2.2 bare CR', bytes: `GET / HTTP/1.1\r\n${HOST}X-A: a\rb\r\n\r\n` },
  { name: 'an empty line before the request line', rule: '§2.2 leading CRLF', bytes: `\r\nGET / HTTP/1.1\r\n${HOST}\r\n` },
  { name: 'whitespace between the start line and the first field', rule: '§2.2', bytes: `GET / HTTP/1.1\r\n ${HOST}\r\n` },
  // §2.3 HTTP version
  { name: 'HTTP/1.0 without keep-alive', rule: '§2.3', bytes: `GET / HTTP/1.0\r\n${HOST}\r\n` },
  { name: 'a version with two digits', rule: '§2.3', bytes: `GET / HTTP/1.10\r\n${HOST}\r\n` },
  { name: 'HTTP/2.0 in an HTTP/1 request line', rule: '§2.3', bytes: `GET / HTTP/2.0\r\n${HOST}\r\n` },
  { name: 'a lowercase protocol name', rule: '§2.3', bytes: `GET / http/1.1\r\n${HOST}\r\n` },
  { name: 'HTTP/1.2 (a later minor version)', rule: '§2.3', bytes: `GET / HTTP/1.2\r\n${HOST}\r\n` },
  // §3 request line
  { name: 'two spaces between method and target', rule: '§3', bytes: `GET  / HTTP/1.1\r\n${HOST}\r\n` },
  { name: 'a tab between method and target', rule: '§3', bytes: `GET\t/ HTTP/1.1\r\n${HOST}\r\n` },
  { name: 'no version', rule: '§3', bytes: `GET /\r\n${HOST}\r\n` },
  // §3.1 method
  { name: 'a lowercase method', rule: '§3.1 case-sensitive', bytes: `get / HTTP/1.1\r\n${HOST}\r\n` },
  { name: 'a method llhttp does not know', rule: '§3.1', bytes: `MKCOLA / HTTP/1.1\r\n${HOST}\r\n` },
  { name: 'a method that is not a token', rule: '§3.1', bytes: `GE(T / HTTP/1.1\r\n${HOST}\r\n` },
  { name: 'a WebDAV method', rule: '§3.1', bytes: `PROPFIND /dav HTTP/1.1\r\n${HOST}Content-Length: 0\r\n\r\n` },
  // §3.2 request target
  { name: 'origin-form with a query', rule: '§3.2.1', bytes: `GET /search?q=a+b&x=%20 HTTP/1.1\r\n${HOST}\r\n` },
  { name: 'absolute-form for the Host', rule: '§3.2.2', bytes: `GET http://shop.test/abs?x=1 HTTP/1.1\r\n${HOST}\r\n` },
  { name: 'absolute-form whose authority differs from Host', rule: '§3.2.2 target wins', bytes: `GET http://other.test/abs HTTP/1.1\r\n${HOST}\r\n` },
  { name: 'absolute-form with https', rule: '§3.2.2', bytes: `GET https://shop.test/s HTTP/1.1\r\n${HOST}\r\n` },
  {
    name: 'authority-form (CONNECT)',
    rule: '§3.2.3',
    bytes: `CONNECT shop.test:443 HTTP/1.1\r\n${HOST}\r\n`,
    routerMayRefuse: 'the router is no forward proxy: CONNECT is answered 405 (issue 9 item 2)',
  },
  { name: 'asterisk-form (OPTIONS *)', rule: '§3.2.4', bytes: `OPTIONS * HTTP/1.1\r\n${HOST}\r\n` },
  { name: 'a space inside the target', rule: '§3.2', bytes: `GET /a b HTTP/1.1\r\n${HOST}\r\n` },
  { name: 'raw non-ASCII bytes in the target', rule: '§3.2', bytes: `GET /caf\xe9 HTTP/1.1\r\n${HOST}\r\n` },
  { name: 'a fragment in the target', rule: '§3.2', bytes: `GET /page#frag HTTP/1.1\r\n${HOST}\r\n` },
  { name: 'a NUL byte in the target', rule: 'NUL/CTL', bytes: `GET /a\x00b HTTP/1.1\r\n${HOST}\r\n` },
  // §3.2 Host
  { name: 'HTTP/1.1 without Host', rule: '§3.2 Host required', bytes: 'GET / HTTP/1.1\r\nX-A: 1\r\n\r\n', routerMayRefuse: 'no Host: no app to route to (400 per RFC 9112 §3.2)' },
  { name: 'two Host fields', rule: '§3.2 one Host', bytes: `GET / HTTP/1.1\r\n${HOST}Host: other.test\r\n\r\n`, routerMayRefuse: 'RFC 9112 §3.2: a server MUST answer 400 to more than one Host' },
  { name: 'Host with a port', rule: '§3.2', bytes: 'GET / HTTP/1.1\r\nHost: shop.test:80\r\n\r\n' },
  { name: 'Host in upper case', rule: '§3.2', bytes: 'GET / HTTP/1.1\r\nHost: SHOP.Test\r\n\r\n' },
  { name: 'Host with a path in it', rule: '§3.2', bytes: 'GET / HTTP/1.1\r\nHost: shop.test/evil\r\n\r\n', routerMayRefuse: 'not a valid authority' },
  // §5 field syntax
  { name: 'whitespace between a field name and the colon', rule: '§5.1', bytes: `GET / HTTP/1.1\r\n${HOST}X-A : 1\r\n\r\n` },
  { name: 'a field name with a space inside', rule: '§5.1', bytes: `GET / HTTP/1.1\r\n${HOST}X A: 1\r\n\r\n` },
  { name: 'an empty field name', rule: '§5.1', bytes: `GET / HTTP/1.1\r\n${HOST}: x\r\n\r\n` },
  { name: 'a field line without a colon', rule: '§5.1', bytes: `GET / HTTP/1.1\r\n${HOST}NoColon\r\n\r\n` },
  { name: 'whitespace around a field value', rule: '§5.1 OWS', bytes: `GET / HTTP/1.1\r\n${HOST}X-A: \t value \t\r\n\r\n` },
  { name: 'an empty field value', rule: '§5.1', bytes: `GET / HTTP/1.1\r\n${HOST}X-Empty:\r\n\r\n` },
  { name: 'obs-fold in a field value', rule: '§5.2 obs-fold', bytes: `GET / HTTP/1.1\r\n${HOST}X-A: one\r\n two\r\n\r\n` },
  { name: 'obs-fold with a tab', rule: '§5.2 obs-fold', bytes: `GET / HTTP/1.1\r\n${HOST}X-A: one\r\n\ttwo\r\n\r\n` },
  { name: 'obs-text in a field value', rule: '§5.5', bytes: `GET / HTTP/1.1\r\n${HOST}X-A: caf\xe9\r\n\r\n` },
  { name: 'a NUL in a field value', rule: 'NUL/CTL', bytes: `GET / HTTP/1.1\r\n${HOST}X-A: a\x00b\r\n\r\n` },
  { name: 'a DEL in a field value', rule: 'NUL/CTL', bytes: `GET / HTTP/1.1\r\n${HOST}X-A: a\x7fb\r\n\r\n` },
  { name: 'a vertical tab in a field value', rule: 'NUL/CTL', bytes: `GET / HTTP/1.1\r\n${HOST}X-A: a\x0bb\r\n\r\n` },
  { name: 'a NUL in a field name', rule: 'NUL/CTL', bytes: `GET / HTTP/1.1\r\n${HOST}X\x00A: 1\r\n\r\n` },
  { name: 'a repeated field keeps its order', rule: '§5.3', bytes: `GET / HTTP/1.1\r\n${HOST}Accept: a\r\nX-B: 1\r\nAccept: b\r\n\r\n` },
  { name: 'a head over 16 KB', rule: '§5.4 limits', bytes: `GET / HTTP/1.1\r\n${HOST}X-Big: ${'a'.repeat(20_000)}\r\n\r\n` },
  // §6.1 Transfer-Encoding
  { name: 'a chunked body', rule: '§6.1', bytes: `POST /up HTTP/1.1\r\n${HOST}Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n` },
  { name: 'gzip then chunked', rule: '§6.1', bytes: `POST /up HTTP/1.1\r\n${HOST}Transfer-Encoding: gzip, chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n` },
  { name: 'chunked not last', rule: '§6.1 chunked final', bytes: `POST /up HTTP/1.1\r\n${HOST}Transfer-Encoding: chunked, gzip\r\n\r\n3\r\nabc\r\n0\r\n\r\n` },
  { name: 'Transfer-Encoding in HTTP/1.0', rule: '§6.1', bytes: `POST /up HTTP/1.0\r\n${HOST}Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n` },
  { name: 'an unknown transfer coding', rule: '§6.1', bytes: `POST /up HTTP/1.1\r\n${HOST}Transfer-Encoding: identity\r\n\r\n` },
  // §6.2 Content-Length
  { name: 'Content-Length 0 on a POST', rule: '§6.2', bytes: `POST /empty HTTP/1.1\r\n${HOST}Content-Length: 0\r\n\r\n` },
  { name: 'Content-Length with leading zeros', rule: '§6.2', bytes: `POST / HTTP/1.1\r\n${HOST}Content-Length: 005\r\n\r\nhello` },
  { name: 'Content-Length not a number', rule: '§6.2', bytes: `POST / HTTP/1.1\r\n${HOST}Content-Length: 5a\r\n\r\nhello` },
  { name: 'Content-Length negative', rule: '§6.2', bytes: `POST / HTTP/1.1\r\n${HOST}Content-Length: -1\r\n\r\nhello` },
  { name: 'Content-Length with a plus sign', rule: '§6.2', bytes: `POST / HTTP/1.1\r\n${HOST}Content-Length: +5\r\n\r\nhello` },
  { name: 'Content-Length as a list', rule: '§6.2', bytes: `POST / HTTP/1.1\r\n${HOST}Content-Length: 5, 5\r\n\r\nhello` },
  { name: 'Content-Length with tabs around it', rule: '§6.2 OWS', bytes: `POST / HTTP/1.1\r\n${HOST}Content-Length:\t5\t\r\n\r\nhello` },
  { name: 'Content-Length with spaces around it', rule: '§6.2 OWS', bytes: `POST / HTTP/1.1\r\n${HOST}Content-Length:  5  \r\n\r\nhello` },
  { name: 'Content-Length beyond 2^64', rule: '§6.2', bytes: `POST / HTTP/1.1\r\n${HOST}Content-Length: 99999999999999999999999\r\n\r\nhello` },
  { name: 'duplicate Content-Length, same value', rule: 'duplicate CL', bytes: `POST / HTTP/1.1\r\n${HOST}Content-Length: 5\r\nContent-Length: 5\r\n\r\nhello` },
  { name: 'duplicate Content-Length, different values', rule: 'duplicate CL', bytes: `POST / HTTP/1.1\r\n${HOST}Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!` },
  // §6.3 message body length
  { name: 'a GET with a body', rule: '§6.3', bytes: `GET / HTTP/1.1\r\n${HOST}Content-Length: 4\r\n\r\nbody` },
  { name: 'a POST without length has no body', rule: '§6.3', bytes: `POST / HTTP/1.1\r\n${HOST}\r\n${GET_CLOSE}` },
  { name: 'Content-Length and Transfer-Encoding together', rule: '§6.3 CL+TE', bytes: `POST / HTTP/1.1\r\n${HOST}Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n` },
  // §7.1 chunked
  { name: 'chunk sizes in upper and lower case hex', rule: '§7.1', bytes: `POST / HTTP/1.1\r\n${HOST}Transfer-Encoding: chunked\r\n\r\na\r\n0123456789\r\nA\r\n0123456789\r\n0\r\n\r\n` },
  { name: 'a chunk size with leading zeros', rule: '§7.1', bytes: `POST / HTTP/1.1\r\n${HOST}Transfer-Encoding: chunked\r\n\r\n0005\r\nhello\r\n0\r\n\r\n` },
  { name: 'an over-long chunk size', rule: 'over-long chunk size', bytes: `POST / HTTP/1.1\r\n${HOST}Transfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\nhello\r\n0\r\n\r\n` },
  { name: 'a chunk size that is not hex', rule: '§7.1', bytes: `POST / HTTP/1.1\r\n${HOST}Transfer-Encoding: chunked\r\n\r\ng\r\nhello\r\n0\r\n\r\n` },
  { name: 'a space after the chunk size', rule: '§7.1', bytes: `POST / HTTP/1.1\r\n${HOST}Transfer-Encoding: chunked\r\n\r\n5 \r\nhello\r\n0\r\n\r\n` },
  { name: 'chunk data longer than its size', rule: '§7.1', bytes: `POST / HTTP/1.1\r\n${HOST}Transfer-Encoding: chunked\r\n\r\n3\r\nhello\r\n0\r\n\r\n` },
  { name: 'no CRLF after chunk data', rule: '§7.1', bytes: `POST / HTTP/1.1\r\n${HOST}Transfer-Encoding: chunked\r\n\r\n5\r\nhello0\r\n\r\n` },
  { name: 'a bare LF after the chunk size', rule: '§7.1 bare LF', bytes: `POST / HTTP/1.1\r\n${HOST}Transfer-Encoding: chunked\r\n\r\n5\nhello\r\n0\r\n\r\n` },
  { name: 'a bare LF after the last chunk', rule: '§7.1 bare LF', bytes: `POST / HTTP/1.1\r\n${HOST}Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\n\n` },
  // §7.1.1 chunk extensions
  { name: 'chunk extensions, with and without values', rule: '§7.1.1', bytes: `POST / HTTP/1.1\r\n${HOST}Transfer-Encoding: chunked\r\n\r\n5;a=b;c\r\nhello\r\n0;last\r\n\r\n` },
  { name: 'a quoted chunk extension', rule: '§7.1.1', bytes: `POST / HTTP/1.1\r\n${HOST}Transfer-Encoding: chunked\r\n\r\n5;a="b c"\r\nhello\r\n0\r\n\r\n` },
  { name: 'a chunk extension with a bare LF', rule: 'chunk-ext abuse', bytes: `POST / HTTP/1.1\r\n${HOST}Transfer-Encoding: chunked\r\n\r\n5;a=b\nhello\r\n0\r\n\r\n` },
  { name: 'a chunk extension with a space in its name', rule: 'chunk-ext abuse', bytes: `POST / HTTP/1.1\r\n${HOST}Transfer-Encoding: chunked\r\n\r\n5;a b=c\r\nhello\r\n0\r\n\r\n` },
  { name: 'a chunk extension with a NUL', rule: 'chunk-ext abuse', bytes: `POST / HTTP/1.1\r\n${HOST}Transfer-Encoding: chunked\r\n\r\n5;a=\x00\r\nhello\r\n0\r\n\r\n` },
  { name: 'a chunk extension hiding a request', rule: 'chunk-ext abuse', bytes: `POST / HTTP/1.1\r\n${HOST}Transfer-Encoding: chunked\r\n\r\n5;\nGET /evil HTTP/1.1\r\nhello\r\n0\r\n\r\n` },
  { name: 'a very long chunk extension', rule: 'chunk-ext abuse', bytes: `POST / HTTP/1.1\r\n${HOST}Transfer-Encoding: chunked\r\n\r\n5;x=${'y'.repeat(20_000)}\r\nhello\r\n0\r\n\r\n` },
  // §7.1.2 trailers
  { name: 'a trailer field', rule: '§7.1.2', bytes: `POST / HTTP/1.1\r\n${HOST}Transfer-Encoding: chunked\r\nTrailer: X-Sum\r\n\r\n5\r\nhello\r\n0\r\nX-Sum: 1\r\n\r\n` },
  { name: 'a trailer with a bare LF', rule: '§7.1.2 bare LF', bytes: `POST / HTTP/1.1\r\n${HOST}Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nX: y\n\n${GET_CLOSE}` },
  { name: 'a trailer with obs-fold', rule: '§7.1.2 obs-fold', bytes: `POST / HTTP/1.1\r\n${HOST}Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nX: y\r\n z\r\n\r\n` },
  { name: 'a trailer named Content-Length', rule: '§7.1.2', bytes: `POST / HTTP/1.1\r\n${HOST}Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nContent-Length: 50\r\n\r\n${GET_CLOSE}` },
  // §7.2 TE
  { name: 'TE: trailers', rule: '§7.4 TE', bytes: `GET / HTTP/1.1\r\n${HOST}TE: trailers\r\n\r\n` },
  // §9 connections: pipelining, keep-alive, close
  { name: 'three pipelined requests', rule: 'pipelining', bytes: `GET /1 HTTP/1.1\r\n${HOST}\r\nPOST /2 HTTP/1.1\r\n${HOST}Content-Length: 3\r\n\r\nabcGET /3 HTTP/1.1\r\n${HOST}\r\n` },
  { name: 'pipelined requests for two apps', rule: 'pipelining', bytes: `GET /1 HTTP/1.1\r\n${HOST}\r\nGET /2 HTTP/1.1\r\nHost: other.test\r\n\r\nGET /3 HTTP/1.1\r\n${HOST}\r\n` },
  { name: 'HTTP/1.0 keep-alive, then a pipelined request', rule: 'HTTP/1.0 keep-alive', bytes: `GET /1 HTTP/1.0\r\n${HOST}Connection: keep-alive\r\n\r\nGET /2 HTTP/1.1\r\n${HOST}\r\n` },
  { name: 'HTTP/1.0 without keep-alive, then a pipelined request', rule: 'HTTP/1.0 close', bytes: `GET /1 HTTP/1.0\r\n${HOST}\r\nGET /2 HTTP/1.1\r\n${HOST}\r\n` },
  { name: 'Connection: close, then more bytes', rule: '§9.6', bytes: `GET /1 HTTP/1.1\r\n${HOST}Connection: close\r\n\r\nGET /2 HTTP/1.1\r\n${HOST}\r\n` },
  { name: 'Connection naming a field to drop', rule: '§7.6.1 (RFC 9110)', bytes: `GET / HTTP/1.1\r\n${HOST}Connection: X-Drop\r\nX-Drop: 1\r\nX-Keep: 2\r\n\r\n` },
  // Expect
  { name: 'Expect: 100-continue with a body', rule: 'Expect: 100-continue', bytes: `POST / HTTP/1.1\r\n${HOST}Expect: 100-continue\r\nContent-Length: 5\r\n\r\nhello` },
  { name: 'Expect: 100-continue with Content-Length 0, then a pipelined request', rule: 'Expect: 100-continue', bytes: `POST /1 HTTP/1.1\r\n${HOST}Expect: 100-continue\r\nContent-Length: 0\r\n\r\nGET /2 HTTP/1.1\r\n${HOST}\r\n` },
  // Upgrade
  {
    name: 'a WebSocket upgrade',
    rule: 'upgrade',
    bytes: `GET /ws HTTP/1.1\r\n${HOST}Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`,
  },
  {
    name: 'an upgrade with a body',
    rule: 'upgrade',
    bytes: `POST /ws HTTP/1.1\r\n${HOST}Connection: Upgrade\r\nUpgrade: h2c\r\nContent-Length: 2\r\n\r\nhi`,
    routerMayRefuse: 'node:http hands an upgrade over before its body is read, so where the body ends is not sure: 400 R400 (docs/router.md)',
  },
  // Smuggling: CL.TE, TE.CL, TE.TE
  { name: 'CL.TE', rule: 'smuggling CL.TE', bytes: `POST / HTTP/1.1\r\n${HOST}Content-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\n${HOST}\r\n` },
  { name: 'TE.CL', rule: 'smuggling TE.CL', bytes: `POST / HTTP/1.1\r\n${HOST}Transfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n8\r\nSMUGGLED\r\n0\r\n\r\n` },
  { name: 'TE.TE: a second, bogus Transfer-Encoding', rule: 'smuggling TE.TE', bytes: `POST / HTTP/1.1\r\n${HOST}Transfer-Encoding: chunked\r\nTransfer-Encoding: x\r\nContent-Length: 4\r\n\r\n5c\r\nGPOST / HTTP/1.1\r\n\r\n0\r\n\r\n` },
  { name: 'TE.TE: xchunked', rule: 'smuggling TE.TE', bytes: `POST / HTTP/1.1\r\n${HOST}Transfer-Encoding: xchunked\r\nContent-Length: 4\r\n\r\n0\r\n\r\n` },
  { name: 'TE.TE: space before the colon', rule: 'smuggling TE.TE', bytes: `POST / HTTP/1.1\r\n${HOST}Transfer-Encoding : chunked\r\nContent-Length: 4\r\n\r\n0\r\n\r\n` },
  { name: 'TE.TE: a tab before the value', rule: 'smuggling TE.TE', bytes: `POST / HTTP/1.1\r\n${HOST}Transfer-Encoding:\tchunked\r\n\r\n0\r\n\r\n` },
  { name: 'TE.TE: a leading space (obs-fold of the field before)', rule: 'smuggling TE.TE', bytes: `POST / HTTP/1.1\r\n${HOST}X: y\r\n Transfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n0\r\n\r\n` },
  { name: 'TE.TE: mixed case', rule: 'smuggling TE.TE', bytes: `POST / HTTP/1.1\r\n${HOST}Transfer-encoding: cHuNkEd\r\n\r\n0\r\n\r\n` },
  { name: 'TE.TE: a trailing space', rule: 'smuggling TE.TE', bytes: `POST / HTTP/1.1\r\n${HOST}Transfer-Encoding: chunked \r\n\r\n0\r\n\r\n` },
  { name: 'TE.TE: a vertical tab', rule: 'smuggling TE.TE', bytes: `POST / HTTP/1.1\r\n${HOST}Transfer-Encoding: \x0bchunked\r\nContent-Length: 4\r\n\r\n0\r\n\r\n` },
  { name: 'TE.TE: chunk (truncated)', rule: 'smuggling TE.TE', bytes: `POST / HTTP/1.1\r\n${HOST}Transfer-Encoding: chunk\r\nContent-Length: 4\r\n\r\n0\r\n\r\n` },
  { name: 'TE.TE: a quoted value', rule: 'smuggling TE.TE', bytes: `POST / HTTP/1.1\r\n${HOST}Transfer-Encoding: "chunked"\r\nContent-Length: 4\r\n\r\n0\r\n\r\n` },
  { name: 'TE.TE: two codings in two fields', rule: 'smuggling TE.TE', bytes: `POST / HTTP/1.1\r\n${HOST}Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n` },
  { name: 'a field injected with a bare LF', rule: 'smuggling bare LF', bytes: `POST / HTTP/1.1\r\n${HOST}X: x\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n0\r\n\r\n` },
  { name: 'a field injected with a bare CR', rule: 'smuggling bare CR', bytes: `POST / HTTP/1.1\r\n${HOST}X: x\rTransfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n0\r\n\r\n` },
  { name: 'Content-Length smuggled in obs-fold', rule: 'smuggling obs-fold', bytes: `POST / HTTP/1.1\r\n${HOST}X: y\r\n Content-Length: 30\r\nContent-Length: 0\r\n\r\n` },
  { name: 'a request smuggled in a GET body', rule: 'smuggling', bytes: `GET / HTTP/1.1\r\n${HOST}Content-Length: 37\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n` },
  // fuzzer: found by test/fuzz/differential.ts (seed 1)
  {
    name: 'a chunked upload for an unknown host with a bad chunk: a 404 saying close, then a 400 after it',
    rule: 'fuzzer: answer after Connection: close',
    bytes: 'POST /up HTTP/1.1\r\nHost: unknown.test\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\f\nX-T: 1\r\n\r\n',
  },
  {
    name: 'a refused request (two Host fields), then a pipelined one: nothing passed on after the 400 that closes',
    rule: 'fuzzer: pipelining after a refusal',
    bytes: `GET /old HTTP/1.0\r\n${HOST}${HOST}Connection: keep-alive\r\n\r\nGET /next HTTP/1.1\r\n${HOST}\r\n`,
    routerMayRefuse: 'RFC 9112 §3.2: a server MUST answer 400 to more than one Host',
  },
  { name: 'a bare LF ending the last field line, an empty value', rule: 'fuzzer: §2.2 bare LF', bytes: `GET /a HTTP/1.1\r\n${HOST}Accept: \n\r\n` },
  { name: 'a token glued before the method', rule: 'fuzzer: §3.1', bytes: `chunkedGET /a HTTP/1.1\r\n${HOST}\r\n` },
  { name: 'HTTP/0.9-style request line (no version)', rule: 'fuzzer: §3', bytes: `GET /\r\n\r\nGET /2 HTTP/1.1\r\n${HOST}\r\n`, routerMayRefuse: 'HTTP/0.9 is not served (node:http refuses it too)' },
  // fuzzer: seed 9 (CI's run)
  { name: 'an unknown method in a head that never ends', rule: 'fuzzer: §3.1', bytes: `ET /a?b=c HTTP/1.1\r\n${HOST}Accept: */*\r\n` },
  { name: 'a bare CR where the blank line should be, and no more', rule: 'fuzzer: §2.2 bare CR', bytes: `GET /a?b=c HTTP/1.1\r\n${HOST}Accept: */*\r\n\r\r` },
  { name: 'a refused request (unknown host), then a pipelined one for another app', rule: 'fuzzer: pipelining', bytes: `GET /1 HTTP/1.1\r\nHost: shop.tet\r\n\r\nGET /2 HTTP/1.1\r\nHost: other.test\r\n\r\n` },
  // The 404 echoes the Host; with a byte past 0x7f in it, its Content-Length (UTF-8 bytes) and the
  // bytes native sockets wrote (latin1) differed by one: the client waited for a byte that never came.
  { name: 'a served request, then one whose Host has an obs-text byte (404 echoing it)', rule: 'fuzzer: field value obs-text', bytes: `GET /1 HTTP/1.1\r\n${HOST}\r\nGET /2 HTTP/1.1\r\nHost:\x80other.test\r\n\r\n` },
  { name: 'a 404 echoing an obs-text Host, then a served request', rule: 'fuzzer: field value obs-text', bytes: `GET /1 HTTP/1.1\r\nHost: \xff\xe9.test\r\n\r\n${GET_CLOSE}` },
  // Node's server answered a request without Host itself (400, Connection: close) where the router
  // could not see it, and the router answered the bytes after it with a second 400.
  { name: 'no Host (a misspelt field), an unmet Expect, then bytes llhttp refuses', rule: 'fuzzer: §3.2 Host', bytes: `PUT /x HTTP/1.1\r\nost: shop.test\r\nExpect: 100-continue\r\nontent-Length: 3\r\n\r\nabc` },
  { name: 'no Host, then bytes llhttp refuses', rule: 'fuzzer: §3.2 Host', bytes: `PUT /x HTTP/1.1\r\nost: shop.test\r\nontent-Length: 3\r\n\r\nabc` },
  { name: 'a served request, then bytes no method starts with, and no space after them', rule: 'fuzzer: §3.1', bytes: `GET /a HTTP/1.1\r\n${HOST}\r\nabc` },
  { name: 'a served request, then a request line with a broken version that never ends', rule: 'fuzzer: §2.3 version', bytes: `GET /1 HTTP/1.1\r\n${HOST}\r\nGET /2 HTTP/1.Host: other.test\r` },
  { name: 'a served request, then a field name with a space in it, in a line that never ends', rule: 'fuzzer: §5.1 field name', bytes: `GET /1 HTTP/1.1\r\n${HOST}\r\nGET /2 HTTP/1.1\r\nHo other.test\r` },
  { name: 'an empty Content-Length, and a head that never ends', rule: 'fuzzer: §6.3 Content-Length', bytes: `POST /form HTTP/1.1\r\n${HOST}Content-Type: text/plain\r\nContent-Length:\r\nhello` },
  { name: 'a letter in a Content-Length whose line never ends', rule: 'fuzzer: §6.3 Content-Length', bytes: `POST /form HTTP/1.1\r\n${HOST}Content-Type: text/plain\r\nContent-Length: 5hello` },
  { name: 'an expectation the router does not know', rule: 'fuzzer: Expect', bytes: `PUT /x HTTP/1.1\r\n${HOST}Expect: 100-conue\r\nContent-Length: 3\r\n\r\nabc`, routerMayRefuse: 'RFC 9110 §10.1.1: 417 for an expectation it cannot meet' },
];

/** A response the app writes, in one segment. */
function answer(bytes: string): Pick<ResponseCase, 'segments'> {
  return { segments: [{ bytes }] };
}

export const RESPONSE_CASES: readonly ResponseCase[] = [
  // §4 status line
  { name: 'a plain 200 with Content-Length', rule: '§4', ...answer('HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Type: text/plain\r\n\r\nhello') },
  { name: 'an empty reason phrase', rule: '§4', ...answer('HTTP/1.1 200 \r\nContent-Length: 2\r\n\r\nok') },
  { name: 'no reason phrase and no space', rule: '§4', ...answer('HTTP/1.1 200\r\nContent-Length: 2\r\n\r\nok') },
  { name: 'a status code with letters', rule: '§4', ...answer('HTTP/1.1 2OO OK\r\nContent-Length: 2\r\n\r\nok') },
  { name: 'a four-digit status code', rule: '§4', ...answer('HTTP/1.1 2000 OK\r\nContent-Length: 2\r\n\r\nok') },
  { name: 'obs-text in the reason phrase', rule: '§4', ...answer('HTTP/1.1 200 D\xe9j\xe0\r\nContent-Length: 2\r\n\r\nok') },
  { name: 'HTTP/1.0 response', rule: '§2.3', ...answer('HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok') },
  { name: 'a bare LF in the status line', rule: '§2.2 bare LF', ...answer('HTTP/1.1 200 OK\nContent-Length: 2\r\n\r\nok') },
  // §5 fields
  { name: 'a bare LF between fields (header injection)', rule: '§2.2 bare LF', ...answer('HTTP/1.1 200 OK\r\nX-Split: a\nInjected: yes\r\nContent-Length: 2\r\n\r\nok') },
  { name: 'a bare CR in a field value', rule: '§2.2 bare CR', ...answer('HTTP/1.1 200 OK\r\nX-A: a\rb\r\nContent-Length: 2\r\n\r\nok') },
  { name: 'obs-fold in a response field', rule: '§5.2 obs-fold', ...answer('HTTP/1.1 200 OK\r\nX-A: one\r\n two\r\nContent-Length: 2\r\n\r\nok') },
  { name: 'a NUL in a response field', rule: 'NUL/CTL', ...answer('HTTP/1.1 200 OK\r\nX-A: a\x00b\r\nContent-Length: 2\r\n\r\nok') },
  { name: 'whitespace before the colon', rule: '§5.1', ...answer('HTTP/1.1 200 OK\r\nX-A : 1\r\nContent-Length: 2\r\n\r\nok') },
  { name: 'repeated Set-Cookie fields', rule: '§5.3', ...answer('HTTP/1.1 200 OK\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\nContent-Length: 2\r\n\r\nok') },
  // §6 body length
  { name: 'duplicate Content-Length, same value', rule: 'duplicate CL', ...answer('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nok') },
  { name: 'duplicate Content-Length, different values', rule: 'duplicate CL', ...answer('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok!') },
  { name: 'Content-Length not a number', rule: '§6.2', ...answer('HTTP/1.1 200 OK\r\nContent-Length: 2x\r\n\r\nok') },
  { name: 'Content-Length and Transfer-Encoding together', rule: '§6.3 CL+TE', ...answer('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n') },
  { name: 'no length: the body runs until the app closes', rule: '§6.3', ...answer('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nall of it'), close: true },
  { name: 'a body shorter than its Content-Length, then close', rule: '§6.3 truncated', ...answer('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort'), close: true },
  { name: 'a 204 that carries a body anyway', rule: '§6.3', ...answer('HTTP/1.1 204 No Content\r\n\r\nHTTP/1.1 302 Found\r\nLocation: https://evil.example/\r\nContent-Length: 0\r\n\r\n') },
  { name: 'a 304', rule: '§6.3', ...answer('HTTP/1.1 304 Not Modified\r\nETag: "x"\r\n\r\n') },
  { name: 'a HEAD answer with Content-Length', rule: '§6.3 HEAD', request: 'HEAD /case HTTP/1.1\r\nHost: answers.test\r\n\r\n', ...answer('HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n') },
  { name: 'bytes after a complete response (a second, unsolicited one)', rule: 'response desync', ...answer('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 302 Found\r\nLocation: https://evil.example/\r\nContent-Length: 0\r\n\r\n') },
  // §7.1 chunked
  { name: 'a chunked response', rule: '§7.1', ...answer('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n') },
  { name: 'a chunk size with leading zeros', rule: '§7.1', ...answer('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0005\r\nhello\r\n0\r\n\r\n') },
  { name: 'an over-long chunk size', rule: 'over-long chunk size', ...answer('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffffffff\r\nhello\r\n0\r\n\r\n') },
  { name: 'a chunk size that is not hex', rule: '§7.1', ...answer('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n') },
  { name: 'a bare LF after a chunk size', rule: '§7.1 bare LF', ...answer('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\nhello\r\n0\r\n\r\n') },
  { name: 'chunk data longer than its size', rule: '§7.1', ...answer('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nhello\r\n0\r\n\r\n') },
  { name: 'chunk extensions', rule: '§7.1.1', ...answer('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;a=b;c="d e"\r\nhello\r\n0;x\r\n\r\n') },
  { name: 'a chunk extension with a bare LF', rule: 'chunk-ext abuse', ...answer('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;a\nhello\r\n0\r\n\r\n') },
  { name: 'a chunk extension with a control byte', rule: 'chunk-ext abuse', ...answer('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;a=\x01\r\nhello\r\n0\r\n\r\n') },
  // §7.1.2 trailers
  { name: 'trailers the client did not ask for', rule: '§7.1.2', ...answer('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-Sum\r\n\r\n5\r\nhello\r\n0\r\nX-Sum: 1\r\n\r\n') },
  {
    name: 'trailers the client asked for (TE: trailers)',
    rule: '§7.1.2',
    request: 'GET /case HTTP/1.1\r\nHost: answers.test\r\nTE: trailers\r\n\r\n',
    ...answer('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-Sum\r\n\r\n5\r\nhello\r\n0\r\nX-Sum: 1\r\n\r\n'),
  },
  { name: 'a trailer with obs-fold', rule: '§7.1.2 obs-fold', ...answer('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nX: y\r\n z\r\n\r\n') },
  { name: 'a trailer with a bare LF, all at once', rule: 'response desync', ...answer('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nX: y\n\nHTTP/1.1 302 Found\r\nLocation: https://evil.example/\r\nContent-Length: 0\r\n\r\n') },
  {
    // Issue 9's repro, exactly: the fake 302 follows 150 ms later.
    name: "issue 9's desync: chunked body, trailer with bare LF, then a fake 302",
    rule: 'response desync',
    segments: [
      { bytes: 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nX: y\n\n' },
      { bytes: 'HTTP/1.1 302 Found\r\nLocation: https://evil.example/\r\nContent-Length: 0\r\n\r\n', delayMs: 150 },
    ],
  },
  // 1xx and 101
  { name: '100 Continue, then the answer', rule: '§4 interim', ...answer('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok') },
  { name: '103 Early Hints, then the answer', rule: '§4 interim', ...answer('HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok') },
  {
    name: 'a 101 nobody asked for',
    rule: 'upgrade',
    ...answer('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: evil\r\n\r\nHTTP/1.1 302 Found\r\nLocation: https://evil.example/\r\nContent-Length: 0\r\n\r\n'),
    routerMayRefuse: 'an upgrade the client did not ask for is answered 502 (issue 9 item 2)',
  },
  // fuzzer: found by test/fuzz/differential.ts (seed 1)
  {
    name: 'a control byte in the reason phrase',
    rule: 'fuzzer: §4 reason-phrase',
    ...answer('HTTP/1.1 200 O\x01K\r\nContent-Length: 2\r\n\r\nok'),
    routerMayRefuse: 'RFC 9112 §4: a reason phrase is HTAB, SP, VCHAR and obs-text only (llhttp lets control bytes through)',
  },
  { name: 'an interim 103 with a broken field line, then the answer', rule: 'fuzzer: §4 interim', ...answer('HTTP/1.1 103 Early Hints\r\nLink: </a.c\r\nss>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok') },
  { name: 'a status line where a field line should be', rule: 'fuzzer: §5', ...answer('HTTP/1.1 103 Early Hints\r\nHTTP/1.1 103 Early Hints\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok') },
];
