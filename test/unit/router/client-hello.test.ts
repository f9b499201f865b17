import net from 'node:net';
import tls from 'node:tls';
import { expect } from 'chai';
import { readClientHello } from '../../../router/client-hello';

/** The first bytes node's own TLS client sends (its ClientHello), captured by a plain TCP server. */
async function captureClientHello(servername: string | null): Promise<Buffer> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as net.AddressInfo).port;
  try {
    const captured = new Promise<Buffer>((resolve) => {
      server.once('connection', (socket) => {
        let bytes = Buffer.alloc(0);
        socket.on('data', (chunk: Buffer) => {
          bytes = Buffer.concat([bytes, chunk]);
          if (bytes.length >= 5 && bytes.length >= 5 + bytes.readUInt16BE(3)) {
            resolve(bytes);
            socket.destroy();
          }
        });
      });
    });
    const client = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false, ...(servername === null ? {} : { servername }) });
    client.on('error', () => undefined);
    const hello = await captured;
    client.destroy();
    return hello;
  } finally {
    server.close();
  }
}

/** The same handshake message re-cut into TLS records of at most `size` bytes of payload. */
function recut(record: Buffer, size: number): Buffer {
  const payload = record.subarray(5);
  const records: Buffer[] = [];
  for (let at = 0; at < payload.length; at += size) {
    const part = payload.subarray(at, at + size);
    const header = Buffer.from([0x16, 0x03, 0x01, 0, 0]);
    header.writeUInt16BE(part.length, 3);
    records.push(header, part);
  }
  return Buffer.concat(records);
}

describe('router/client-hello: the server name of a ClientHello, before the handshake', () => {
  it('reads the SNI name a real TLS client sends', async () => {
    expect(readClientHello(await captureClientHello('www.shop.example'))).to.deep.equal({ kind: 'hello', serverName: 'www.shop.example' });
  });

  it('answers null when the client sends no server name (the default certificate is served)', async () => {
    expect(readClientHello(await captureClientHello(null))).to.deep.equal({ kind: 'hello', serverName: null });
  });

  it('asks for more bytes until the whole ClientHello is there', async () => {
    const hello = await captureClientHello('a.example');
    for (const length of [0, 1, 4, 5, 6, 40, hello.length - 1]) {
      expect(readClientHello(hello.subarray(0, length)), `after ${length} bytes`).to.deep.equal({ kind: 'incomplete' });
    }
  });

  it('joins a ClientHello split over several TLS records', async () => {
    const hello = await captureClientHello('split.example');
    for (const size of [1, 3, 100]) {
      const cut = recut(hello, size);
      expect(readClientHello(cut), `records of ${size} bytes`).to.deep.equal({ kind: 'hello', serverName: 'split.example' });
      expect(readClientHello(cut.subarray(0, cut.length - 1))).to.deep.equal({ kind: 'incomplete' });
    }
  });

  it('calls plain HTTP, other handshake messages and truncated structures invalid', async () => {
    expect(readClientHello(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'))).to.deep.equal({ kind: 'invalid' });
    const hello = await captureClientHello('x.example');
    const serverHello = Buffer.from(hello);
    serverHello[5] = 0x02;
    expect(readClientHello(serverHello)).to.deep.equal({ kind: 'invalid' });
    // The message one byte short (record and handshake lengths agree): its extensions no longer fit.
    const short = Buffer.from(hello.subarray(0, hello.length - 1));
    short.writeUInt16BE(short.readUInt16BE(3) - 1, 3);
    short.writeUIntBE(short.readUIntBE(6, 3) - 1, 6, 3);
    expect(readClientHello(short)).to.deep.equal({ kind: 'invalid' });
  });

  it('refuses a ClientHello that claims to be huge', () => {
    const record = Buffer.from([0x16, 0x03, 0x01, 0x00, 0x04, 0x01, 0x10, 0x00, 0x00]);
    expect(readClientHello(record)).to.deep.equal({ kind: 'invalid' });
  });
});
