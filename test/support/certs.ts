/**
 * Self-signed certificates made by the tests themselves with the `openssl` command (argument arrays,
 * no shell), in temporary folders: nothing is checked in, every run has fresh keys.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface TestCert {
  /** PEM text. */
  readonly cert: string;
  readonly key: string;
  /** The same, as files (for the CLI). */
  readonly certFile: string;
  readonly keyFile: string;
}

export interface CertOptions {
  /** Subject CN; omitted when null (for a certificate that names no host). */
  readonly cn: string | null;
  /** DNS subjectAltNames; none when empty. */
  readonly sans?: readonly string[];
  readonly days?: number;
  readonly keyType?: 'ec' | 'rsa';
}

function openssl(args: readonly string[], cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('openssl', [...args], { cwd, timeout: 30_000 }, (error, _stdout, stderr) => {
      if (error) reject(new Error(`openssl ${args[0]} failed: ${String(stderr).trim() || error.message}`));
      else resolve();
    });
  });
}

function keyArgs(keyType: 'ec' | 'rsa'): string[] {
  return keyType === 'ec' ? ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1'] : ['-newkey', 'rsa:2048'];
}

function subjectArgs(options: CertOptions): string[] {
  const args = ['-subj', options.cn === null ? '/O=Slipway Tests' : `/CN=${options.cn}/O=Slipway Tests`];
  const sans = options.sans ?? [];
  if (sans.length > 0) args.push('-addext', `subjectAltName=${sans.map((name) => `DNS:${name}`).join(',')}`);
  return args;
}

/** A temporary folder for certificate files; remove it with fs.rmSync(dir, {recursive: true}). */
export function certDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-certs-'));
}

let counter = 0;

function files(dir: string): { certFile: string; keyFile: string; base: string } {
  counter += 1;
  const base = path.join(dir, `cert-${process.pid}-${counter}`);
  return { certFile: `${base}.crt`, keyFile: `${base}.key`, base };
}

/** `openssl req -x509 -newkey ec … -subj … -addext subjectAltName=…`: a self-signed certificate, valid from now. */
export async function makeCert(dir: string, options: CertOptions): Promise<TestCert> {
  const { certFile, keyFile } = files(dir);
  await openssl([
    'req', '-x509', ...keyArgs(options.keyType ?? 'ec'), '-nodes', '-keyout', keyFile, '-out', certFile,
    '-days', String(options.days ?? 30), ...subjectArgs(options),
  ], dir);
  return { cert: fs.readFileSync(certFile, 'utf8'), key: fs.readFileSync(keyFile, 'utf8'), certFile, keyFile };
}

/**
 * A self-signed certificate valid from `start` to `end` (`YYYYMMDDHHMMSSZ`), in the past for an
 * expired one: `openssl req -x509` cannot backdate, so a request signed by `openssl ca -selfsign`.
 */
export async function makeCertValidBetween(dir: string, options: CertOptions, start: string, end: string): Promise<TestCert> {
  const { certFile, keyFile, base } = files(dir);
  const caDir = `${base}-ca`;
  fs.mkdirSync(caDir);
  fs.writeFileSync(path.join(caDir, 'index.txt'), '');
  fs.writeFileSync(path.join(caDir, 'serial'), '01\n');
  const config = path.join(caDir, 'ca.cnf');
  fs.writeFileSync(config, [
    '[ ca ]', 'default_ca = test_ca',
    '[ test_ca ]', `database = ${path.join(caDir, 'index.txt')}`, `new_certs_dir = ${caDir}`, `serial = ${path.join(caDir, 'serial')}`,
    'default_md = sha256', 'policy = any_policy', 'copy_extensions = copy', 'unique_subject = no',
    '[ any_policy ]', 'organizationName = optional', 'commonName = optional', '',
  ].join('\n'));
  const csr = `${base}.csr`;
  await openssl(['req', '-new', ...keyArgs(options.keyType ?? 'ec'), '-nodes', '-keyout', keyFile, '-out', csr, ...subjectArgs(options)], dir);
  await openssl(['ca', '-batch', '-config', config, '-selfsign', '-keyfile', keyFile, '-in', csr, '-out', certFile,
    '-startdate', start, '-enddate', end, '-notext'], dir);
  return { cert: fs.readFileSync(certFile, 'utf8'), key: fs.readFileSync(keyFile, 'utf8'), certFile, keyFile };
}

/** The key of `cert`, encrypted with a passphrase (`openssl pkey -aes256`). */
export async function encryptKey(dir: string, cert: TestCert): Promise<string> {
  const out = `${cert.keyFile}.enc`;
  await openssl(['pkey', '-in', cert.keyFile, '-out', out, '-aes256', '-passout', 'pass:secret'], dir);
  return fs.readFileSync(out, 'utf8');
}
