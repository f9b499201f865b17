/** TLS clients for tests: a bare handshake (which certificate did the server present?) and an HTTPS GET. */
import https from 'node:https';
import tls from 'node:tls';

export interface Peer {
  /** The presented certificate's subject CN. */
  readonly cn: string;
  readonly fingerprint: string;
  /** True when it verified against `ca` for the server name. */
  readonly authorized: boolean;
}

/** A TLS handshake with 127.0.0.1:`port`; `servername` null sends no SNI. */
export function handshake(port: number, servername: string | null, ca?: string): Promise<Peer> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({
      host: '127.0.0.1',
      port,
      ...(servername === null ? {} : { servername }),
      ...(ca ? { ca } : {}),
      rejectUnauthorized: false,
    }, () => {
      const peer = socket.getPeerCertificate();
      resolve({ cn: String(peer.subject?.CN ?? ''), fingerprint: peer.fingerprint256, authorized: socket.authorized });
      socket.end();
    });
    socket.on('error', reject);
  });
}

export interface HttpsAnswer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
  /** SHA-256 fingerprint of the certificate the server presented on this connection. */
  readonly fingerprint: string;
}

/**
 * One HTTPS request to 127.0.0.1:`port` for `host` (SNI and Host header). With `ca`, the server's
 * certificate must verify against it for `host`; without, anything is accepted.
 */
export function httpsGet(
  port: number,
  host: string,
  options: { ca?: string; agent?: https.Agent | false; path?: string } = {},
): Promise<HttpsAnswer> {
  return new Promise((resolve, reject) => {
    const req = https.request({
      host: '127.0.0.1', port, path: options.path ?? '/', servername: host, headers: { host }, agent: options.agent ?? false,
      ...(options.ca ? { ca: options.ca } : { rejectUnauthorized: false }),
    }, (res) => {
      const fingerprint = (res.socket as tls.TLSSocket).getPeerCertificate().fingerprint256;
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString(), fingerprint }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}
