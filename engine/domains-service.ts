/**
 * Custom domains, TLS certificates and the per-app "redirect HTTP to HTTPS" setting
 * (`domains*` and `certs*` commands, docs/cli.md). The store holds them; etcd holds what the router
 * needs (contract v2, docs/contracts/etcd-keys.md): a domain key per host, a certificate key per
 * host that a certificate serves, and the app's settings key.
 *
 * Which certificate serves a domain: the newest of the app's certificates that names it exactly, or
 * else the newest whose one-label wildcard covers it. Adding a certificate therefore replaces, for
 * the domains it covers as well, the one that served them; a certificate left serving nothing is
 * dropped ("replaced").
 *
 * Changes go to etcd first and to the store second; if the store then fails, etcd is put back from
 * the store. The store stays the truth, and what the router serves is never ahead of it for long.
 */
import { SlipwayError } from '../lib/errors';
import type { CertValue } from '../lib/etcd-keys';
import type { Logger } from '../lib/log';
import { certificateCovers, checkCertificate, type CheckedCertificate } from './certs';
import { InProcessLocks, withLock, type LockService } from './locks';
import type { App } from './model';
import type { TlsPublisher } from './publisher';
import type { AppsRepo } from './store/apps-repo';
import { isUniqueViolation, type DomainsRepo, type NewCert, type StoredCert } from './store/domains-repo';

export interface DomainView {
  hostname: string;
  /** `default` is the app's `<app>.<domain>`: always there, never removable. */
  kind: 'default' | 'custom';
  wildcard: boolean;
  /** Null for the default domain (it is as old as the app). */
  createdAt: Date | null;
  /** The certificate the router presents for this host, if any. */
  cert: StoredCert | null;
}

export interface CertView {
  cert: StoredCert;
  /** The app's domains this certificate serves now (another, newer one may serve the rest). */
  domains: string[];
}

export interface AddedCert extends CertView {
  /** Certificates that served some domain before and serve none now: removed. */
  replaced: StoredCert[];
}

export interface TlsSettings {
  redirectHttps: boolean;
}

/** A DNS label: letters, digits and inner dashes, 1 to 63 characters (lowercase by now). */
const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const IPV4 = /^\d{1,3}(?:\.\d{1,3}){3}$/;

/**
 * A host as `domains:add` takes it: lowercased, a trailing dot dropped, then checked. Accepts a DNS
 * name of two labels or more (`www.example.com`) or a wildcard over one (`*.example.com`, whose
 * parent has two labels or more). Refuses, as a SlipwayError('invalid_domain'), anything else and
 * the names the platform keeps for apps: the platform domain itself, `<name>.<domain>`, `*.<domain>`,
 * and names under another app's default host (`x.<other>.<domain>`, `*.<other>.<domain>`).
 */
export function normalizeDomain(input: string, platformDomain: string, app: string): string {
  const host = input.trim().toLowerCase().replace(/\.$/, '');
  const invalid = (why: string): SlipwayError => new SlipwayError('invalid_domain',
    `"${input}" is not a domain Slipway can serve: ${why}. Give a host name like www.example.com, or a wildcard like *.example.com.`);
  if (host === '') throw invalid('it is empty');
  if (host.length > 253) throw invalid(`it is ${host.length} characters long (253 at most)`);
  if (host.includes('://') || host.includes('/')) throw invalid('give the host name alone, without a scheme or a path');
  if (host.includes(':')) throw invalid('give the host name alone, without a port');
  if (IPV4.test(host)) throw invalid('it is an IP address, not a host name');
  const wildcard = host.startsWith('*.');
  const name = wildcard ? host.slice(2) : host;
  const labels = name.split('.');
  if (labels.some((label) => label.includes('*'))) throw invalid('a wildcard may only be the whole first label, as in *.example.com');
  const bad = labels.find((label) => !LABEL.test(label));
  if (bad !== undefined) {
    throw invalid(bad === '' ? 'it has an empty label (two dots in a row?)' : `"${bad}" is not a DNS label (letters, digits and inner dashes, 63 characters at most)`);
  }
  if (labels.length < 2) throw invalid(wildcard ? 'a wildcard must cover a domain of two labels or more, as in *.example.com' : 'use a fully qualified name, as in www.example.com');

  const platform = platformDomain.toLowerCase();
  if (host === `${app}.${platform}`) {
    throw new SlipwayError('invalid_domain', `${host} is already ${app}'s default domain: there is nothing to add.`);
  }
  if (wildcard && name === platform) {
    throw new SlipwayError('invalid_domain', `${host} would cover every app's default domain on this platform: add your own domain instead.`);
  }
  if (name === platform) {
    throw new SlipwayError('invalid_domain', `${host} is the platform's own domain: apps are served under it at <app>.${platform}. Add your own domain instead.`);
  }
  if (!wildcard && name.endsWith(`.${platform}`) && !name.slice(0, -platform.length - 1).includes('.')) {
    const other = name.slice(0, -platform.length - 1);
    throw new SlipwayError('invalid_domain', `${host} is the platform's own address of the app named "${other}": names <app>.${platform} are reserved for apps. Add your own domain instead.`);
  }
  if (name.endsWith(`.${platform}`)) {
    // x.<owner>.<domain>: the owner is the label just before the platform domain. Only that app may
    // use the names under its default host, so no app can take over part of another's address.
    const under = name.slice(0, -platform.length - 1);
    const owner = under.slice(under.lastIndexOf('.') + 1);
    if (owner !== app) {
      throw new SlipwayError('invalid_domain', `${host} is under ${owner}.${platform}, the platform's address of the app named "${owner}": only that app may use names under it. Add your own domain instead.`);
    }
  }
  return host;
}

/**
 * For each domain, the certificate that serves it: one that names it exactly if any (the newest
 * such), else the newest whose wildcard covers it. `certs` is oldest first.
 */
export function servingCerts<C extends { names: readonly string[] }>(domains: readonly string[], certs: readonly C[]): Map<string, C> {
  const serving = new Map<string, C>();
  for (const domain of domains) {
    let best: C | undefined;
    for (let i = certs.length - 1; i >= 0; i -= 1) {
      const cert = certs[i]!;
      if (cert.names.includes(domain)) {
        best = cert;
        break;
      }
      if (best === undefined && certificateCovers(cert.names, domain)) best = cert;
    }
    if (best !== undefined) serving.set(domain, best);
  }
  return serving;
}

function listOf(names: readonly string[], max = 3): string {
  return names.length <= max ? names.join(', ') : `${names.slice(0, max).join(', ')} and ${names.length - max} more`;
}

export class DomainsService {
  constructor(
    private readonly apps: AppsRepo,
    private readonly repo: DomainsRepo,
    private readonly publisher: TlsPublisher,
    /** Apps are served at `<app>.<platformDomain>`. */
    private readonly platformDomain: string,
    private readonly logger: Logger,
    private readonly now: () => Date = () => new Date(),
    /** The control plane's lock service (scope `domains`); its own when not given (tests). */
    private readonly locks: LockService = new InProcessLocks(),
  ) {}

  private defaultHost(app: string): string {
    return `${app}.${this.platformDomain.toLowerCase()}`;
  }

  /** Runs `work` holding the app's `domains` lock, if the app is still the one named (not destroyed meanwhile). */
  private async withLock<T>(app: App, work: () => Promise<T>): Promise<T> {
    return withLock(this.locks, app.name, 'domains', async () => {
      const now = await this.apps.find(app.name);
      if (!now || now.id !== app.id) {
        throw new SlipwayError('app_not_found', `${app.name} was destroyed while this change waited, so nothing was changed.`);
      }
      return work();
    });
  }

  /** The default domain first, then the custom ones by name. */
  private async hostsOf(app: App): Promise<{ hosts: string[]; custom: Map<string, Date> }> {
    const custom = await this.repo.domains(app.id);
    return {
      hosts: [this.defaultHost(app.name), ...custom.map((d) => d.host)],
      custom: new Map(custom.map((d) => [d.host, d.createdAt])),
    };
  }

  async list(appName: string): Promise<DomainView[]> {
    const app = await this.apps.get(appName);
    const [{ hosts, custom }, certs] = await Promise.all([this.hostsOf(app), this.repo.certs(app.id)]);
    const serving = servingCerts(hosts, certs);
    return hosts.map((hostname) => ({
      hostname,
      kind: custom.has(hostname) ? 'custom' : 'default',
      wildcard: hostname.startsWith('*.'),
      createdAt: custom.get(hostname) ?? null,
      cert: serving.get(hostname) ?? null,
    }));
  }

  async add(appName: string, input: string): Promise<DomainView> {
    const app = await this.apps.get(appName);
    const host = normalizeDomain(input, this.platformDomain, app.name);
    return this.withLock(app, async () => {
      const owner = await this.repo.owner(host);
      if (owner) throw this.taken(host, owner.app, app.name);
      let added;
      try {
        added = await this.repo.addDomain(app.id, host, this.now());
      } catch (error) {
        if (!isUniqueViolation(error)) throw error;
        // Another app took it between the check and the insert.
        const winner = await this.repo.owner(host);
        throw this.taken(host, winner?.app ?? 'another app', app.name);
      }
      try {
        await this.publisher.publishDomain(app.name, host);
        await this.publishCerts(app);
      } catch (error) {
        await this.repo.removeDomain(app.id, host).catch(() => undefined);
        await this.publisher.withdrawDomain(app.name, host).catch(() => undefined);
        throw error;
      }
      this.logger.info({ app: app.name, host }, 'domain added');
      const certs = await this.repo.certs(app.id);
      return {
        hostname: host, kind: 'custom', wildcard: host.startsWith('*.'), createdAt: added.createdAt,
        cert: servingCerts([host], certs).get(host) ?? null,
      };
    });
  }

  private taken(host: string, owner: string, app: string): SlipwayError {
    if (owner === app) return new SlipwayError('domain_taken', `${host} is already a domain of ${app}.`);
    return new SlipwayError('domain_taken',
      `${host} already belongs to the app ${owner}: a host serves one app. Remove it there first (slipway domains:remove ${owner} ${host}).`);
  }

  async remove(appName: string, input: string): Promise<void> {
    const app = await this.apps.get(appName);
    const host = input.trim().toLowerCase().replace(/\.$/, '');
    if (host === this.defaultHost(app.name)) {
      throw new SlipwayError('invalid_domain', `${host} is ${app.name}'s default domain: it cannot be removed (it goes when the app is destroyed).`);
    }
    await this.withLock(app, async () => {
      const { custom } = await this.hostsOf(app);
      if (!custom.has(host)) {
        throw new SlipwayError('domain_not_found', `${host} is not a domain of ${app.name}. Run \`slipway domains ${app.name}\` to list them.`);
      }
      // Out of the router first: if that fails, the store still says so and a retry does it again.
      await this.publisher.withdrawDomain(app.name, host);
      await this.repo.removeDomain(app.id, host);
      await this.publishCerts(app);
      this.logger.info({ app: app.name, host }, 'domain removed');
    });
  }

  async certs(appName: string): Promise<CertView[]> {
    const app = await this.apps.get(appName);
    const [{ hosts }, certs] = await Promise.all([this.hostsOf(app), this.repo.certs(app.id)]);
    return this.views(hosts, certs);
  }

  private views(hosts: readonly string[], certs: readonly StoredCert[]): CertView[] {
    const serving = servingCerts(hosts, certs);
    return certs.map((cert) => ({ cert, domains: hosts.filter((host) => serving.get(host) === cert) }));
  }

  /**
   * Checks and stores a certificate for the app's domains it covers, and serves it for them at
   * once. Refused (invalid_certificate) when it is not usable or covers none of the app's domains.
   */
  async addCert(appName: string, certificatePem: string, privateKeyPem: string): Promise<AddedCert> {
    const app = await this.apps.get(appName);
    const checked = checkCertificate(certificatePem, privateKeyPem, this.now());
    return this.withLock(app, async () => {
      const [{ hosts }, existing] = await Promise.all([this.hostsOf(app), this.repo.certs(app.id)]);
      if (!hosts.some((host) => certificateCovers(checked.names, host))) throw this.coversNothing(app.name, checked, hosts);

      const candidate: StoredCert = { ...toNewCert(checked), id: Number.MAX_SAFE_INTEGER, appId: app.id, createdAt: this.now() };
      const before = this.views(hosts, existing);
      const after = servingCerts(hosts, [...existing, candidate]);
      const stillServing = new Set(after.values());
      const replaced = before.filter((view) => view.domains.length > 0 && !stillServing.has(view.cert)).map((view) => view.cert);

      await this.publisher.syncCerts(app.name, certValues(after));
      let stored: StoredCert;
      try {
        stored = await this.repo.addCert(app.id, toNewCert(checked), replaced.map((cert) => cert.id), candidate.createdAt);
      } catch (error) {
        await this.publishCerts(app).catch((undo: unknown) => this.logger.error({ err: undo, app: app.name }, 'could not put the certificates back in etcd'));
        throw error;
      }
      const domains = hosts.filter((host) => after.get(host) === candidate);
      this.logger.info({ app: app.name, fingerprint: stored.fingerprint, domains, replaced: replaced.map((c) => c.fingerprint) }, 'certificate added');
      return { cert: stored, domains, replaced };
    });
  }

  private coversNothing(app: string, checked: CheckedCertificate, hosts: readonly string[]): SlipwayError {
    const first = checked.names.find((name) => !name.startsWith('*.')) ?? checked.names[0]!;
    return new SlipwayError('invalid_certificate',
      `The certificate is for ${listOf(checked.names)}, none of which is a domain of ${app} (${listOf(hosts)}): ` +
      `add the domain first (slipway domains:add ${app} ${first}), then the certificate.`);
  }

  /**
   * Removes the certificate that serves `host` (the whole certificate, whatever else it served),
   * or every certificate of the app without `host`. Answers what was removed.
   */
  async removeCerts(appName: string, input?: string): Promise<CertView[]> {
    const app = await this.apps.get(appName);
    return this.withLock(app, async () => {
      const [{ hosts }, certs] = await Promise.all([this.hostsOf(app), this.repo.certs(app.id)]);
      const views = this.views(hosts, certs);
      let removed: CertView[];
      if (input === undefined || input.trim() === '') {
        if (certs.length === 0) throw new SlipwayError('cert_not_found', `${app.name} has no certificates.`);
        removed = views;
      } else {
        const host = input.trim().toLowerCase().replace(/\.$/, '');
        if (!hosts.includes(host)) {
          throw new SlipwayError('domain_not_found', `${host} is not a domain of ${app.name}. Run \`slipway certs ${app.name}\` to see which certificate serves which domain.`);
        }
        const view = views.find((v) => v.domains.includes(host));
        if (!view) throw new SlipwayError('cert_not_found', `No certificate serves ${host} on ${app.name}. Run \`slipway certs ${app.name}\` to list them.`);
        removed = [view];
      }
      const gone = new Set(removed.map((view) => view.cert.id));
      const kept = certs.filter((cert) => !gone.has(cert.id));
      await this.publisher.syncCerts(app.name, certValues(servingCerts(hosts, kept)));
      try {
        await this.repo.removeCerts(app.id, [...gone]);
      } catch (error) {
        await this.publishCerts(app).catch((undo: unknown) => this.logger.error({ err: undo, app: app.name }, 'could not put the certificates back in etcd'));
        throw error;
      }
      this.logger.info({ app: app.name, removed: removed.map((view) => view.cert.fingerprint) }, 'certificates removed');
      return removed;
    });
  }

  async settings(appName: string): Promise<TlsSettings> {
    const app = await this.apps.get(appName);
    return { redirectHttps: await this.repo.redirectHttps(app.id) };
  }

  async updateSettings(appName: string, changes: Partial<TlsSettings>): Promise<TlsSettings> {
    const app = await this.apps.get(appName);
    return this.withLock(app, async () => {
      const current = { redirectHttps: await this.repo.redirectHttps(app.id) };
      const next = { ...current, ...changes };
      await this.publisher.publishSettings(app.name, next);
      try {
        await this.repo.setRedirectHttps(app.id, next.redirectHttps);
      } catch (error) {
        await this.publisher.publishSettings(app.name, current).catch(() => undefined);
        throw error;
      }
      this.logger.info({ app: app.name, redirectHttps: next.redirectHttps }, 'TLS settings changed');
      return next;
    });
  }

  /**
   * Writes every route key of the app from the store under its current name: its default and
   * custom domains, their certificates and its settings (after apps:rename).
   */
  async republish(appName: string): Promise<void> {
    const app = await this.apps.get(appName);
    await this.withLock(app, async () => {
      const { hosts } = await this.hostsOf(app);
      for (const host of hosts) await this.publisher.publishDomain(app.name, host);
      await this.publishCerts(app);
      await this.publisher.publishSettings(app.name, { redirectHttps: await this.repo.redirectHttps(app.id) });
    });
  }

  /** Writes the certificate keys of the app from the store. */
  private async publishCerts(app: App): Promise<void> {
    const [{ hosts }, certs] = await Promise.all([this.hostsOf(app), this.repo.certs(app.id)]);
    await this.publisher.syncCerts(app.name, certValues(servingCerts(hosts, certs)));
  }
}

function toNewCert(checked: CheckedCertificate): NewCert {
  return {
    names: checked.names,
    certificatePem: checked.chainPem,
    privateKeyPem: checked.keyPem,
    fingerprint: checked.fingerprint,
    notAfter: checked.notAfter,
  };
}

function certValues(serving: ReadonlyMap<string, StoredCert>): Map<string, CertValue> {
  return new Map([...serving].map(([host, cert]) => [host, { cert: cert.certificatePem, key: cert.privateKeyPem }]));
}
