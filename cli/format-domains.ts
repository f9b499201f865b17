/** Pure formatters of domains, certificates and the HTTPS redirect setting. */
import type { Cert, Domain } from './api-types';
import { colors, relativeTime, table, type FormatOptions } from './format';

/** `2027-01-31 (in 11 months)`, red once expired, yellow within 30 days. */
export function expiry(iso: string, options: FormatOptions): string {
  const c = colors(options.color);
  const at = Date.parse(iso);
  const text = `${iso.slice(0, 10)} (${relativeTime(iso, options.now)})`;
  if (Number.isNaN(at)) return iso;
  const left = at - options.now.getTime();
  if (left <= 0) return c.red(`expired ${text}`);
  if (left < 30 * 24 * 3600 * 1000) return c.yellow(text);
  return text;
}

export function domainsTable(app: string, domains: readonly Domain[], redirectHttps: boolean, options: FormatOptions): string {
  const c = colors(options.color);
  const rows = domains.map((domain) => [
    domain.hostname,
    domain.kind,
    domain.cert ? `expires ${expiry(domain.cert.expiresAt, options)}` : 'none',
  ]);
  const redirect = redirectHttps
    ? `Redirect HTTP to HTTPS: ${c.green('on')}`
    : `Redirect HTTP to HTTPS: off (turn it on with: slipway domains:redirect ${app} on)`;
  return [c.bold(`=== ${app} Domains`), table(['Domain', 'Kind', 'Certificate'], rows, options.color), '', redirect].join('\n');
}

export function certsList(app: string, certs: readonly Cert[], options: FormatOptions): string {
  if (certs.length === 0) return `${app} has no certificates. Add one with: slipway certs:add ${app} CERT_FILE KEY_FILE`;
  const c = colors(options.color);
  const lines = [c.bold(`=== ${app} Certificates`)];
  for (const cert of certs) {
    const issuer = cert.selfSigned ? `${cert.issuer ?? ''} (self-signed)` : (cert.issuer ?? '');
    const fields: Array<[string, string]> = [
      ['Serves', cert.domains.length > 0 ? cert.domains.join(', ') : 'nothing (no domain of the app is left for it)'],
      ['Expires', expiry(cert.expiresAt, options)],
      ['Fingerprint', `SHA256 ${cert.fingerprint}`],
      ['Subject', cert.subject ?? ''],
      ['Issuer', issuer],
      ['Added', relativeTime(cert.createdAt, options.now)],
    ];
    lines.push('', c.bold(cert.names.join(', ')));
    for (const [label, value] of fields) lines.push(`  ${`${label}:`.padEnd(13)} ${value}`);
  }
  return lines.join('\n');
}
