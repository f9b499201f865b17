import { expect } from 'chai';
import { clientTakesTrailers, idleCode, mayRetry, needsZeroLength, responseHasNoBody } from '../../../router/proxy-policy';

describe('router/proxy-policy', () => {
  it('retries any request whose connection never came up, until the attempts run out', () => {
    const post = { method: 'POST', hasBody: true, answerStarted: false };
    expect(mayRetry({ connectFailed: true }, post, 1, 3)).to.equal(true);
    expect(mayRetry({ connectFailed: true }, post, 3, 3)).to.equal(false);
  });

  it('retries a sent request only when it is idempotent, has no body, and no answer went out', () => {
    expect(mayRetry({ connectFailed: false }, { method: 'GET', hasBody: false, answerStarted: false }, 1, 3)).to.equal(true);
    expect(mayRetry({ connectFailed: false }, { method: 'GET', hasBody: true, answerStarted: false }, 1, 3)).to.equal(false);
    expect(mayRetry({ connectFailed: false }, { method: 'POST', hasBody: false, answerStarted: false }, 1, 3)).to.equal(false);
    expect(mayRetry({ connectFailed: false }, { method: 'DELETE', hasBody: false, answerStarted: false }, 1, 3)).to.equal(false);
    expect(mayRetry({ connectFailed: true }, { method: 'GET', hasBody: false, answerStarted: true }, 1, 3)).to.equal(false);
  });

  it('ends an idle exchange with R598 once answering, R408 while the body comes, else R504', () => {
    expect(idleCode({ answerStarted: true, bodyStillComing: true })).to.equal('R598');
    expect(idleCode({ answerStarted: false, bodyStillComing: true })).to.equal('R408');
    expect(idleCode({ answerStarted: false, bodyStillComing: false })).to.equal('R504');
  });

  it('says Content-Length: 0 for a body-carrying method without one, on both paths alike', () => {
    for (const method of ['GET', 'HEAD', 'DELETE', 'OPTIONS', 'TRACE']) expect(needsZeroLength(method), method).to.equal(false);
    for (const method of ['POST', 'PUT', 'PATCH', 'PURGE', 'QUERY']) expect(needsZeroLength(method), method).to.equal(true);
  });

  it('expects no body after HEAD, a 204 or a 304', () => {
    expect(responseHasNoBody(true, 200)).to.equal(true);
    expect(responseHasNoBody(false, 204)).to.equal(true);
    expect(responseHasNoBody(false, 304)).to.equal(true);
    expect(responseHasNoBody(false, 200)).to.equal(false);
  });

  it('passes trailers only to a client that said TE: trailers', () => {
    expect(clientTakesTrailers(['trailers'])).to.equal(true);
    expect(clientTakesTrailers(['gzip'])).to.equal(false);
    expect(clientTakesTrailers([])).to.equal(false);
  });
});
