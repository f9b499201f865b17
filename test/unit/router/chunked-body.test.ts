import { expect } from 'chai';
import { BROKEN, ChunkedBody } from '../../../router/chunked-body';

/** Scans `parts` in turn; what would be passed on, and whether the body ended. */
function run(parts: readonly string[], keepTrailers = false): { passed: string; done: boolean; broken: string } {
  const body = new ChunkedBody(keepTrailers);
  let passed = '';
  for (const part of parts) {
    const chunk = Buffer.from(part, 'latin1');
    const count = body.scan(chunk);
    if (count === BROKEN) return { passed, done: false, broken: body.problem };
    passed += chunk.toString('latin1', 0, count);
    if (body.done) return { passed: passed + body.ending, done: true, broken: '' };
  }
  return { passed, done: false, broken: '' };
}

function brokenBy(text: string): string {
  const result = run([text]);
  expect(result.done, text).to.equal(false);
  expect(result.broken, text).to.not.equal('');
  return result.broken;
}

describe('router/chunked-body', () => {
  const body = '5\r\nhello\r\n6;ext=1;q="a \\"b\\""\r\n world\r\n0\r\n\r\n';

  it('passes a body that arrives whole on as it is', () => {
    expect(run([body])).to.deep.equal({ passed: body, done: true, broken: '' });
  });

  it('passes a body that arrives a byte at a time on byte for byte', () => {
    expect(run([...body])).to.deep.equal({ passed: body, done: true, broken: '' });
  });

  it('says where the body ends when more bytes follow it', () => {
    const scanner = new ChunkedBody(false);
    expect(scanner.scan(Buffer.from('0\r\n\r\nHTTP/1.1 200 OK'))).to.equal(5);
    expect(scanner.done).to.equal(true);
    expect(scanner.bodyEnd).to.equal(5);
  });

  it('takes upper-case hex, leading zeros (as llhttp does) and a chunk split across reads', () => {
    expect(run(['A\r\n01234', '56789\r\n0000\r\n\r\n']).done).to.equal(true);
    expect(run(['00000000000000000005\r\nhello\r\n0\r\n\r\n']).done).to.equal(true);
  });

  it('drops trailer fields for a client that did not ask for them, and keeps them for one that did', () => {
    const withTrailer = '5\r\nhello\r\n0\r\nX-Checksum: 42\r\nX-Other: a b\r\n\r\n';
    expect(run([withTrailer]).passed).to.equal('5\r\nhello\r\n0\r\n\r\n');
    expect(run([...withTrailer]).passed).to.equal('5\r\nhello\r\n0\r\n\r\n');
    expect(run([withTrailer], true).passed).to.equal(withTrailer);
    expect(run([...withTrailer], true).passed).to.equal(withTrailer);
  });

  it('passes nothing on once a byte breaks the grammar', () => {
    // The desync of issue 9: a trailer ended by bare LFs, then a fake response.
    const poison = '5\r\nhello\r\n0\r\nX: y\n\nHTTP/1.1 302 Found\r\nContent-Length: 0\r\n\r\n';
    expect(run([poison], true)).to.deep.equal({ passed: '', done: false, broken: 'trailer field value' });
    expect(run([...poison], true).passed).to.equal('5\r\nhello\r\n0\r\nX: y');
  });

  const broken: Array<[string, string]> = [
    ['a chunk size that is not hex', 'x\r\n'],
    ['a chunk size with a sign', '-5\r\nhello\r\n0\r\n\r\n'],
    ['a chunk size in 0x form', '0x5\r\nhello\r\n0\r\n\r\n'],
    ['a space after the chunk size', '5 \r\nhello\r\n0\r\n\r\n'],
    ['a chunk size of 2^48 or more', `1${'0'.repeat(12)}\r\n`],
    ['a chunk size line ended by a bare LF', '5\nhello\r\n0\r\n\r\n'],
    ['a bare CR after the chunk size', '5\rhello\r\n0\r\n\r\n'],
    ['chunk data not followed by CRLF', '3\r\nabcX'],
    ['chunk data followed by a bare LF', '5\r\nhello\n0\r\n\r\n'],
    ['an empty extension name', '5;\r\nhello\r\n0\r\n\r\n'],
    ['a space before an extension', '5 ;a=b\r\nhello\r\n0\r\n\r\n'],
    ['a space after ";"', '5; a=b\r\nhello\r\n0\r\n\r\n'],
    ['a space around "="', '5;a = b\r\nhello\r\n0\r\n\r\n'],
    ['an empty extension value', '5;a=\r\nhello\r\n0\r\n\r\n'],
    ['an extension value that is not a token', '5;a=b@c\r\nhello\r\n0\r\n\r\n'],
    ['an unterminated quoted value running into CRLF', '5;a="b\r\nhello\r\n0\r\n\r\n'],
    ['a control character in a quoted value', '5;a="b\x01"\r\nhello\r\n0\r\n\r\n'],
    ['text after a quoted value', '5;a="b"c\r\nhello\r\n0\r\n\r\n'],
    ['an extension ended by a bare LF', '5;a=b\nhello\r\n0\r\n\r\n'],
    ['a chunk line over 8 KB', `5;a=${'b'.repeat(8200)}\r\n`],
    ['a trailer line without a colon', '0\r\nX y\r\n\r\n'],
    ['a space before a trailer colon', '0\r\nX : y\r\n\r\n'],
    ['an obsolete line fold in the trailer', '0\r\nX: y\r\n z\r\n\r\n'],
    ['a control character in a trailer value', '0\r\nX: y\x01\r\n\r\n'],
    ['a trailer line ended by a bare LF', '0\r\nX: y\n\r\n'],
    ['a body ended by a bare LF', '0\r\n\n'],
    ['a trailer section over 64 KB', `0\r\n${'X: y\r\n'.repeat(11_000)}\r\n`],
  ];
  for (const [what, text] of broken) {
    it(`refuses ${what}`, () => {
      brokenBy(text);
    });
  }

  it('takes what llhttp takes in extensions: names without values, quoted pairs, obs-text', () => {
    expect(run(['5;a;b=c;d="x\\"y\xe9"\r\nhello\r\n0;last\r\n\r\n']).done).to.equal(true);
  });

  it('takes an empty trailer value (as llhttp does)', () => {
    expect(run(['0\r\nX:\r\n\r\n'], true)).to.deep.equal({ passed: '0\r\nX:\r\n\r\n', done: true, broken: '' });
  });
});
