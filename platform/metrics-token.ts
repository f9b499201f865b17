/**
 * The scrape token: what Prometheus presents to the API's /metrics and /metrics/containers
 * (`authorization: credentials_file` in the config scripts/start-services writes). One line of
 * 64 hex characters in SLIPWAY_METRICS_TOKEN_FILE, mode 0600; made here when missing so that a
 * platform started without the scripts (tests, a hand-run) still protects its /metrics.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export function loadOrCreateMetricsToken(file: string): string {
  try {
    const text = fs.readFileSync(file, 'utf8').trim();
    if (text.length >= 32) return text;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const token = crypto.randomBytes(32).toString('hex');
  fs.writeFileSync(file, `${token}\n`, { mode: 0o600 });
  return token;
}
