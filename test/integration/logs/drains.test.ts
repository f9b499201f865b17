/**
 * Drains against real receivers: Debian's rsyslog over syslog+tls (RFC 5424 with octet counting)
 * with a test certificate trusted as the extra CA, and an HTTPS endpoint that is down, then up:
 * every line arrives, none lost while it was down.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import path from 'node:path';
import { expect } from 'chai';
import { DrainDelivery } from '../../../engine/logs/drains/drain-delivery';
import { parseOctetFrames } from '../../../engine/logs/drains/syslog-frame';
import { DrainAddressGuard } from '../../../engine/logs/drains/drain-guard';
import { HttpsTransport, SyslogTransport, trustedCas } from '../../../engine/logs/drains/transports';
import type { LogLine } from '../../../engine/logs/log-line';
import { silentLogger } from '../../../lib/log';
import { certDir, makeCert, type TestCert } from '../../support/certs';
import { freePort } from '../../support/slipway';
import { waitFor } from '../engine/wait-for';

/** The receivers here listen on loopback, as SLIPWAY_DRAINS_ALLOW_PRIVATE=1 lets an operator allow. */
const loopbackAllowed = new DrainAddressGuard(true);

const lines = (from: number, count: number): LogLine[] =>
  Array.from({ length: count }, (_, i) => ({ seq: from + i, time: Date.now() * 1000, source: 'app' as const, process: 'web.1', text: `line ${from + i}` }));

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port }, () => { socket.destroy(); resolve(true); });
    socket.on('error', () => resolve(false));
  });
}

describe('engine/logs drains against real receivers', () => {
  let dir: string;
  let cert: TestCert;
  before(async () => {
    dir = certDir();
    cert = await makeCert(dir, { cn: 'localhost', sans: ['localhost'] });
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  describe('syslog+tls:// to rsyslog', () => {
    let rsyslog: ChildProcess;
    let port: number;
    const out = (): string => path.join(dir, 'received.log');

    before(async function () {
      port = await freePort();
      const work = path.join(dir, 'rsyslog');
      fs.mkdirSync(work, { recursive: true });
      const conf = path.join(dir, 'rsyslog.conf');
      fs.writeFileSync(conf, [
        `global(workDirectory="${work}" DefaultNetstreamDriverCAFile="${cert.certFile}" DefaultNetstreamDriverCertFile="${cert.certFile}" DefaultNetstreamDriverKeyFile="${cert.keyFile}")`,
        'module(load="imtcp" StreamDriver.Name="gtls" StreamDriver.Mode="1" StreamDriver.Authmode="anon")',
        `input(type="imtcp" port="${port}" address="127.0.0.1")`,
        'template(name="line" type="string" string="%hostname% %app-name% %procid% %msg%\\n")',
        `action(type="omfile" file="${out()}" template="line" flushOnTXEnd="on" asyncWriting="off")`,
        '',
      ].join('\n'));
      rsyslog = spawn('rsyslogd', ['-n', '-f', conf, '-i', path.join(dir, 'rsyslog.pid')], { stdio: 'ignore' });
      await waitFor('rsyslog to listen', () => listening(port), { timeoutMs: 20_000 });
    });
    after(() => { rsyslog?.kill('SIGTERM'); });

    it('receives every line, tagged with app, source and process, over a verified TLS connection', async () => {
      const transport = new SyslogTransport(new URL(`syslog+tls://localhost:${port}`), trustedCas(cert.certFile), loopbackAllowed);
      const delivery = new DrainDelivery({ id: 'd1', app: 'my-app' }, transport, 10_000, () => undefined, silentLogger());
      delivery.push(lines(1, 200));
      delivery.push([{ seq: 201, time: Date.now() * 1000, source: 'router', process: 'router', text: 'at=info method=GET path="/" status=200' }]);
      const received = await waitFor('rsyslog to write every line', async () => {
        const text = fs.existsSync(out()) ? fs.readFileSync(out(), 'utf8') : '';
        return text.split('\n').filter(Boolean).length >= 201 ? text : null;
      });
      const got = received.split('\n').filter(Boolean);
      expect(got[0]).to.equal('my-app app web.1 line 1');
      for (let i = 1; i <= 200; i += 1) expect(got).to.include(`my-app app web.1 line ${i}`);
      expect(got).to.include('my-app router router at=info method=GET path="/" status=200');
      await waitFor('the drain to confirm', async () => delivery.pending === 0);
      delivery.close();
    });

    it('refuses an endpoint whose certificate it cannot verify (nothing sent)', async () => {
      const transport = new SyslogTransport(new URL(`syslog+tls://localhost:${port}`), trustedCas(null), loopbackAllowed);
      let error: unknown = null;
      try { await transport.send('5 hello'); } catch (e) { error = e; }
      expect(String(error)).to.match(/self.signed|certificate/i);
      transport.close();
    });
  });

  describe('https:// drain that is down, then up', () => {
    it('loses nothing: lines wait in the buffer and arrive once the endpoint answers, with Logplex headers', async () => {
      const port = await freePort();
      const transport = new HttpsTransport(new URL(`https://localhost:${port}/ingest`), 'd.token-1', trustedCas(cert.certFile), loopbackAllowed);
      const delivery = new DrainDelivery({ id: 'd2', app: 'my-app' }, transport, 10_000, () => undefined, silentLogger());
      delivery.push(lines(1, 300));
      // Down: nothing listens; the lines stay pending.
      await waitFor('a failed attempt', async () => delivery.pending === 300 && !(await listening(port)));
      delivery.push(lines(301, 200));

      const received: string[] = [];
      const headers: Array<Record<string, unknown>> = [];
      const server = https.createServer({ cert: cert.cert, key: cert.key }, (req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          const { messages, rest } = parseOctetFrames(Buffer.concat(chunks));
          expect(rest.length).to.equal(0);
          expect(Number(req.headers['logplex-msg-count'])).to.equal(messages.length);
          headers.push({ ...req.headers });
          received.push(...messages);
          res.writeHead(204).end();
        });
      });
      await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', () => resolve()));
      try {
        await waitFor('every line at the endpoint', async () => delivery.pending === 0 && received.length >= 500, { timeoutMs: 30_000 });
        const texts = received.map((m) => m.replace(/^<190>1 \S+ my-app app web\.1 - - /, ''));
        for (let i = 1; i <= 500; i += 1) expect(texts).to.include(`line ${i}`);
        expect(headers[0]!['content-type']).to.equal('application/logplex-1');
        expect(headers[0]!['logplex-drain-token']).to.equal('d.token-1');
      } finally {
        delivery.close();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }
    });

    it('drops the oldest lines past the buffer and says so once (L10)', async () => {
      const port = await freePort();
      const reports: string[] = [];
      const transport = new HttpsTransport(new URL(`https://localhost:${port}/`), 't', trustedCas(cert.certFile), loopbackAllowed);
      const delivery = new DrainDelivery({ id: 'd3', app: 'my-app' }, transport, 100, (_app, text) => reports.push(text), silentLogger());
      delivery.push(lines(1, 150));
      expect(delivery.pending).to.equal(100);
      expect(reports).to.have.length(1);
      expect(reports[0]).to.match(/^Error L10 \(output buffer overflow\): 50 messages dropped since /);
      delivery.close();
    });
  });
});
