/**
 * Custom domains and TLS: `domains`, `domains:add`, `domains:remove`, `domains:redirect`, `certs`,
 * `certs:add`, `certs:remove`. Like ./commands: API call(s) through the client, output through a
 * formatter. `certs:add` reads the two PEM files here and sends their text.
 */
import fs from 'node:fs';
import path from 'node:path';
import { CliError } from './cli-error';
import type { CommandContext, JsonOption } from './commands';
import * as format from './format';
import { certsList, domainsTable, expiry } from './format-domains';

function options(ctx: CommandContext): format.FormatOptions {
  return { color: ctx.color, now: ctx.now() };
}

/** `on`/`off` (and the usual synonyms) → boolean; anything else is refused. */
export function parseSwitch(value: string): boolean {
  const normalized = value.trim().toLowerCase();
  if (['on', 'true', 'yes', '1', 'enable', 'enabled'].includes(normalized)) return true;
  if (['off', 'false', 'no', '0', 'disable', 'disabled'].includes(normalized)) return false;
  throw new CliError(`"${value}" is neither on nor off: use slipway domains:redirect APP on (or off).`);
}

/** The text of a PEM file named on the command line, relative to the current directory. */
export function readPemFile(cwd: string, file: string, what: string): string {
  const full = path.resolve(cwd, file);
  let text: string;
  try {
    text = fs.readFileSync(full, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'it is a folder' : String(code ?? error);
    throw new CliError(`Cannot read the ${what} file ${file} (${why}).`);
  }
  if (text.trim() === '') throw new CliError(`The ${what} file ${file} is empty.`);
  return text;
}

export async function domainsList(ctx: CommandContext, app: string, opts: JsonOption): Promise<void> {
  const client = ctx.client();
  const [domains, tls] = await Promise.all([client.listDomains(app), client.getTls(app)]);
  ctx.out(opts.json ? format.json(domains) : domainsTable(app, domains, tls.redirectHttps, options(ctx)));
}

export async function domainsAdd(ctx: CommandContext, app: string, hostname: string): Promise<void> {
  const domain = await ctx.client().addDomain(app, hostname);
  const c = format.colors(ctx.color);
  ctx.out(`Adding ${c.bold(domain.hostname)} to ${c.bold(app)}... ${c.green('done')}`);
  const target = (await ctx.client().listDomains(app)).find((d) => d.kind === 'default')?.hostname ?? `${app}'s default domain`;
  const record = domain.wildcard ? `a wildcard CNAME ${domain.hostname} → ${target}` : `a CNAME to ${target}`;
  ctx.out(`Point its DNS at this Slipway (${record}, or an A record for the router's address).`);
  if (domain.cert) ctx.out(`HTTPS: served with the certificate ${domain.cert.fingerprint.slice(0, 23)}… (expires ${expiry(domain.cert.expiresAt, options(ctx))}).`);
  else ctx.out(`For HTTPS, add a certificate that covers it: slipway certs:add ${app} CERT_FILE KEY_FILE`);
}

export async function domainsRemove(ctx: CommandContext, app: string, hostname: string): Promise<void> {
  await ctx.client().removeDomain(app, hostname);
  const c = format.colors(ctx.color);
  ctx.out(`Removing ${c.bold(hostname)} from ${c.bold(app)}... ${c.green('done')}`);
}

/** Without a value: shows the setting. */
export async function domainsRedirect(ctx: CommandContext, app: string, value: string | undefined): Promise<void> {
  const c = format.colors(ctx.color);
  if (value === undefined) {
    const { redirectHttps } = await ctx.client().getTls(app);
    ctx.out(`Redirect HTTP to HTTPS on ${c.bold(app)}: ${redirectHttps ? c.green('on') : 'off'}`);
    return;
  }
  const redirectHttps = parseSwitch(value);
  await ctx.client().updateTls(app, { redirectHttps });
  ctx.out(redirectHttps
    ? `Redirecting HTTP to HTTPS on ${c.bold(app)}... ${c.green('done')}: plain-HTTP requests now get a 301 to the HTTPS port.`
    : `Turning off the HTTPS redirect on ${c.bold(app)}... ${c.green('done')}: plain HTTP is served again.`);
  if (redirectHttps && (await ctx.client().listCerts(app)).length === 0) {
    ctx.out(`Note: ${app} has no certificate yet, so browsers will warn about the router's default one. Add yours with: slipway certs:add ${app} CERT_FILE KEY_FILE`);
  }
}

export async function certsShow(ctx: CommandContext, app: string, opts: JsonOption): Promise<void> {
  const certs = await ctx.client().listCerts(app);
  ctx.out(opts.json ? format.json(certs) : certsList(app, certs, options(ctx)));
}

export async function certsAdd(ctx: CommandContext, app: string, certFile: string, keyFile: string): Promise<void> {
  const certificate = readPemFile(ctx.cwd, certFile, 'certificate');
  const privateKey = readPemFile(ctx.cwd, keyFile, 'key');
  const added = await ctx.client().addCert(app, certificate, privateKey);
  const c = format.colors(ctx.color);
  ctx.out(`Adding a certificate to ${c.bold(app)}... ${c.green('done')}`);
  ctx.out(`Serving ${added.domains.join(', ')} over HTTPS with it (${added.names.join(', ')}; expires ${expiry(added.expiresAt, options(ctx))}).`);
  for (const old of added.replaced) ctx.out(`Replaced the certificate for ${old.names.join(', ')} (SHA256 ${old.fingerprint.slice(0, 23)}…).`);
}

export async function certsRemove(ctx: CommandContext, app: string, hostname: string | undefined): Promise<void> {
  const removed = await ctx.client().removeCerts(app, hostname);
  const c = format.colors(ctx.color);
  const what = hostname === undefined ? `every certificate of ${c.bold(app)}` : `the certificate serving ${c.bold(hostname)}`;
  ctx.out(`Removing ${what}... ${c.green('done')}`);
  for (const cert of removed) {
    const served = cert.domains.length > 0 ? ` (it served ${cert.domains.join(', ')})` : '';
    ctx.out(`Removed the certificate for ${cert.names.join(', ')}${served}.`);
  }
}
