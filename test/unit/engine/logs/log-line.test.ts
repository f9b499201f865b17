import { expect } from 'chai';
import { cleanText, formatLine, formatTime, MAX_LINE_BYTES } from '../../../../engine/logs/log-line';
import { routerLineText } from '../../../../engine/logs/router-line';
import { matches, parseSince } from '../../../../engine/logs/log-query';
import type { RouterLogRecord } from '../../../../lib/router-log-record';

const T = Date.UTC(2026, 11, 5, 18, 0, 0, 123) * 1000 + 456;

describe('engine/logs: Heroku\'s line format', () => {
  it('prints UTC with six decimals and +00:00', () => {
    expect(formatTime(T)).to.equal('2026-12-05T18:00:00.123456+00:00');
    expect(formatTime(Date.UTC(2026, 0, 1) * 1000)).to.equal('2026-01-01T00:00:00.000000+00:00');
  });

  it('writes time, source[process] and the text', () => {
    expect(formatLine({ time: T, source: 'app', process: 'web.1', text: 'listening on 5000' }))
      .to.equal('2026-12-05T18:00:00.123456+00:00 app[web.1]: listening on 5000');
    expect(formatLine({ time: T, source: 'slipway', process: 'api', text: 'Release v5 created by alice' }))
      .to.equal('2026-12-05T18:00:00.123456+00:00 slipway[api]: Release v5 created by alice');
  });

  it('never lets a line forge another one: control characters are shown escaped', () => {
    expect(cleanText('a\nb\x1b[31mred\r')).to.equal('a\\x0ab\\x1b[31mred');
    expect(cleanText('tab\tkept')).to.equal('tab\tkept');
  });

  it('cuts lines past 10,000 bytes and says so', () => {
    const cut = cleanText('é'.repeat(MAX_LINE_BYTES));
    expect(Buffer.byteLength(cut)).to.be.at.most(MAX_LINE_BYTES);
    expect(cut.endsWith(' [line truncated]')).to.equal(true);
  });
});

describe('engine/logs: router lines', () => {
  const record: RouterLogRecord = {
    t: T, a: 'my-app', h: 'my-app.slipway.localhost', m: 'GET', p: '/search?q=a b', s: 200, b: 13, c: 1, v: 3,
    r: '5b7c', i: 'my-app.web.1a2b', f: '127.0.0.1', e: '',
  };

  it('reads like Heroku\'s router line', () => {
    expect(routerLineText(record, 'web.1')).to.equal(
      'at=info method=GET path="/search?q=a b" host=my-app.slipway.localhost request_id=5b7c fwd="127.0.0.1" dyno=web.1 connect=1ms service=3ms status=200 bytes=13 protocol=http');
  });

  it('names the router\'s error with its code and meaning', () => {
    expect(routerLineText({ ...record, s: 503, e: 'R503', i: '', c: -1, v: -1, b: 0 }, '')).to.equal(
      'at=error code=R503 desc="No running web process" method=GET path="/search?q=a b" host=my-app.slipway.localhost request_id=5b7c fwd="127.0.0.1" dyno= connect= service= status=503 bytes=0 protocol=http');
  });

  it('quotes a path with quotes so it cannot add a field', () => {
    expect(routerLineText({ ...record, p: '/" status=500' }, 'web.1')).to.contain('path="/\\" status=500"');
  });
});

describe('engine/logs: queries', () => {
  const line = { seq: 1, time: T, source: 'app' as const, process: 'web.2', text: '' };
  it('--ps web takes every web instance, web.2 only that one', () => {
    expect(matches(line, { ps: 'web' })).to.equal(true);
    expect(matches(line, { ps: 'web.2' })).to.equal(true);
    expect(matches(line, { ps: 'web.1' })).to.equal(false);
    expect(matches(line, { ps: 'worker' })).to.equal(false);
    expect(matches({ ...line, process: 'webhook.1' }, { ps: 'web' })).to.equal(false);
  });

  it('--since takes durations and times', () => {
    const now = Date.UTC(2026, 11, 5, 20, 0, 0);
    expect(parseSince('2h', now)).to.equal(Date.UTC(2026, 11, 5, 18, 0, 0) * 1000);
    expect(parseSince('2026-12-05T18:00:00Z', now)).to.equal(Date.UTC(2026, 11, 5, 18, 0, 0) * 1000);
    expect(() => parseSince('yesterday', now)).to.throw(/2h/);
  });
});
