/** Which drain URLs are taken, and how they are shown (pure). */
import { SlipwayError } from '../../../lib/errors';

export const DRAIN_SCHEMES = ['syslog:', 'syslog+tls:', 'https:'] as const;
const MAX_URL = 1000;

/** A drain URL checked: syslog://host:port, syslog+tls://host:port or https://host[:port]/path. */
export function parseDrainUrl(raw: string): URL {
  const problem = (why: string): SlipwayError =>
    new SlipwayError('invalid_drain', `${redactDrainUrl(raw)} is not a drain URL: ${why}. Give syslog://host:port, syslog+tls://host:port or https://host/path.`);
  if (raw.length > MAX_URL) throw problem(`it is longer than ${MAX_URL} characters`);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw problem('it does not parse as a URL');
  }
  if (!(DRAIN_SCHEMES as readonly string[]).includes(url.protocol)) throw problem(`the scheme ${url.protocol.replace(/:$/, '')} is not one Slipway sends to`);
  if (url.hostname === '') throw problem('it names no host');
  if (url.protocol !== 'https:') {
    if (url.port === '') throw problem('a syslog drain needs a port');
    if (url.username !== '' || url.password !== '' || (url.pathname !== '' && url.pathname !== '/') || url.search !== '') throw problem('a syslog drain is only a host and a port');
  }
  if (url.hash !== '') throw problem('it has a #fragment');
  return url;
}

/** The URL with any password hidden (listings, messages). */
export function redactDrainUrl(raw: string): string {
  try {
    const url = new URL(raw);
    if (url.password !== '') url.password = '***';
    for (const key of [...url.searchParams.keys()]) if (/token|key|secret|pass|auth/i.test(key)) url.searchParams.set(key, '***');
    return url.toString();
  } catch {
    return raw.replace(/\/\/[^@/]*@/, '//***@').slice(0, 200);
  }
}
