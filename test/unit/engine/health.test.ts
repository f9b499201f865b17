import http from 'node:http';
import net from 'node:net';
import { expect } from 'chai';
import { probeHttp, waitUntilServing } from '../../../engine/health';
import { freePort } from '../../support/slipway';

function listen(server: net.Server, port = 0): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port));
  });
}

function close(server: net.Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    if (server instanceof http.Server) server.closeAllConnections();
    server.close(() => resolve());
  });
}

describe('engine/health', () => {
  const servers: net.Server[] = [];
  const sockets: net.Socket[] = [];

  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.destroy();
    await Promise.all(servers.splice(0).map(close));
  });

  function httpServer(status: number): http.Server {
    const server = http.createServer((_req, res) => { res.statusCode = status; res.end('x'); });
    servers.push(server);
    return server;
  }

  describe('probeHttp', () => {
    it('counts any HTTP answer, even an error status, as serving', async () => {
      const okPort = await listen(httpServer(200));
      const errorPort = await listen(httpServer(500));
      expect(await probeHttp(`http://127.0.0.1:${okPort}/`)).to.equal(true);
      expect(await probeHttp(`http://127.0.0.1:${errorPort}/`)).to.equal(true);
    });

    it('is false when nothing listens on the port', async () => {
      expect(await probeHttp(`http://127.0.0.1:${await freePort()}/`)).to.equal(false);
    });

    it('is false, after its timeout, when the port accepts connections but never answers HTTP', async () => {
      const silent = net.createServer((socket) => { sockets.push(socket); });
      servers.push(silent);
      const port = await listen(silent);
      expect(await probeHttp(`http://127.0.0.1:${port}/`, 100)).to.equal(false);
    });
  });

  describe('waitUntilServing', () => {
    it('resolves ok at once when the process already serves', async () => {
      const port = await listen(httpServer(404));
      let asked = 0;
      const result = await waitUntilServing(`http://127.0.0.1:${port}/`, 60_000, { stillAlive: async () => { asked += 1; return null; } });
      expect(result).to.deep.equal({ ok: true });
      expect(asked).to.equal(0);
    });

    it('keeps probing until the process binds its port', async () => {
      const port = await freePort();
      const server = httpServer(200);
      let asked = 0;
      const result = await waitUntilServing(`http://127.0.0.1:${port}/`, 60_000, {
        stillAlive: async () => {
          asked += 1;
          if (asked === 2) await listen(server, port); // the process binds while we wait
          return null;
        },
      }, 5);
      expect(result).to.deep.equal({ ok: true });
      expect(asked).to.equal(2);
    });

    it('gives up early, with the watch\'s reason, when the process died', async () => {
      const port = await freePort();
      let asked = 0;
      const result = await waitUntilServing(`http://127.0.0.1:${port}/`, 60_000, {
        stillAlive: async () => { asked += 1; return 'web process exited while starting'; },
      });
      expect(result).to.deep.equal({ ok: false, reason: 'web process exited while starting' });
      expect(asked).to.equal(1);
    });

    it('says what it waits for and what the probes get, and when the process answers at last', async () => {
      const port = await freePort();
      const server = httpServer(200);
      let asked = 0;
      const lines: string[] = [];
      const result = await waitUntilServing(`http://127.0.0.1:${port}/`, 60_000, {
        stillAlive: async () => {
          asked += 1;
          if (asked === 3) await listen(server, port);
          return null;
        },
      }, 5, (line) => lines.push(line));
      expect(result).to.deep.equal({ ok: true });
      expect(lines[0]).to.equal('waiting for it to answer HTTP on $PORT (up to 60 s): connection refused (nothing listens on the port yet)');
      expect(lines).to.have.length(2); // the same refusal again is not repeated within 10 s
      expect(lines[1]).to.match(/^answers HTTP on \$PORT after \d+(\.\d+)? s$/);
    });

    it('says nothing when the process already serves', async () => {
      const port = await listen(httpServer(200));
      const lines: string[] = [];
      await waitUntilServing(`http://127.0.0.1:${port}/`, 60_000, { stillAlive: async () => null }, 5, (line) => lines.push(line));
      expect(lines).to.deep.equal([]);
    });

    it('fails after the boot timeout when the process never binds $PORT', async () => {
      const port = await freePort();
      const started = Date.now();
      const result = await waitUntilServing(`http://127.0.0.1:${port}/`, 600, { stillAlive: async () => null }, 20);
      expect(Date.now() - started).to.be.at.least(600);
      expect(result).to.deep.equal({ ok: false, reason: 'web process did not bind $PORT within 1s' });
    });
  });
});
