import { expect } from 'chai';
import { Writable } from 'node:stream';
import pino from 'pino';
import { AccessLog, type AccessRecord } from '../../../router/access-log';

/** A pino logger like the router's (base bindings, ISO time), whose lines the test reads. */
function pinoLike(bindings: Record<string, unknown>): { logger: pino.Logger; lines: string[] } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { logger: pino({ level: 'info', base: bindings, timestamp: pino.stdTimeFunctions.isoTime }, sink), lines };
}

const RECORD: AccessRecord = {
  method: 'GET',
  path: '/caf\u00e9?q="quoted"\\',
  host: 'shop.test',
  app: 'shop',
  status: 200,
  bytes: 12,
  bytesIn: 0,
  startedAt: 0,
  sentAt: 0,
  firstByteAt: 0,
  backend: 'http://127.0.0.1:5000',
  requestId: 'abc-123',
  code: null,
  attempts: 1,
};

describe('router/access-log', () => {
  it('writes directly the same JSON line pino writes, key for key and in the same order', () => {
    const bindings = { component: 'router', worker: '2' };
    const { logger, lines } = pinoLike(bindings);
    const written: string[] = [];
    new AccessLog(logger, undefined).record(RECORD, { clientAborted: true });
    new AccessLog(logger, undefined, { write: (line) => written.push(line), bindings }).record(RECORD, { clientAborted: true });
    expect(written).to.have.length(1);
    expect(lines).to.have.length(1);
    expect((written[0] as string).endsWith('}\n')).to.equal(true);
    const direct = JSON.parse(written[0] as string) as Record<string, unknown>;
    const viaPino = JSON.parse(lines[0] as string) as Record<string, unknown>;
    // Durations depend on when each line was made; everything else must match.
    for (const line of [direct, viaPino]) {
      expect(line.time).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      line.time = line.durationMs = 'varies';
    }
    expect(Object.keys(direct)).to.deep.equal(Object.keys(viaPino));
    expect(direct).to.deep.equal(viaPino);
    expect(direct).to.include({ level: 30, msg: 'request', path: RECORD.path, worker: '2', clientAborted: true });
  });

  it('writes durations (tenths of a millisecond) as the numbers JSON would', () => {
    const log = new AccessLog(pinoLike({}).logger, undefined, { write: () => undefined, bindings: {} });
    const durations = (tenthsOfTotal: number, tenthsToFirstByte: number): unknown[] => {
      const line = JSON.parse(log.line(RECORD, tenthsOfTotal, tenthsToFirstByte)) as { durationMs: unknown; backendMs: unknown };
      return [line.durationMs, line.backendMs];
    };
    expect(durations(12, 30)).to.deep.equal([1.2, 3]);
    expect(durations(5, 0)).to.deep.equal([0.5, 0]);
    expect(durations(1_234_567, -1)).to.deep.equal([123456.7, null]);
    expect(log.line(RECORD, 7, 10)).to.include('"durationMs":0.7,"backendMs":1,');
  });

  it('writes nothing when the info level is off, but still counts the request', () => {
    const { logger } = pinoLike({});
    logger.level = 'warn';
    const written: string[] = [];
    const counted: number[] = [];
    const metrics = { request: (_app: string, status: number) => counted.push(status), retry: () => undefined, ejection: () => undefined };
    new AccessLog(logger, metrics, { write: (line) => written.push(line), bindings: {} }).record(RECORD);
    expect(written).to.deep.equal([]);
    expect(counted).to.deep.equal([200]);
  });
});
