/**
 * Writes what the router needs to etcd (contract: docs/contracts/etcd-keys.md). A backend is
 * published only after its health check passed and withdrawn before its instance is stopped.
 */
import type { Etcd3 } from 'etcd3';
import {
  appPrefix, backendKey, backendsPrefix, certKey, certsPrefix, domainKey, domainsPrefix, maintenanceKey, settingsKey,
  appsPrefix, certSealContext, parseBackendValue, parseCertValue, parseKey, type AppSettingsValue, type BackendValue, type CertValue, type SealedCertValue,
} from '../lib/etcd-keys';
import { sealedKeyId, type SecretBox } from '../lib/secret-box';

export interface RoutePublisher {
  publishDomain(app: string, host: string): Promise<void>;
  publishBackend(app: string, instanceId: string, value: BackendValue): Promise<void>;
  withdrawBackend(app: string, instanceId: string): Promise<void>;
  /** Removes every key of the app (domains and backends). */
  removeApp(app: string): Promise<void>;
  /** The app's published backends by instance id, with the address each is published at. */
  publishedBackends(app: string): Promise<Map<string, BackendValue>>;
}

/** Custom domains, certificates and per-app settings (contract v2), written by the DomainsService. */
export interface TlsPublisher {
  publishDomain(app: string, host: string): Promise<void>;
  withdrawDomain(app: string, host: string): Promise<void>;
  /** The hosts of the app's published domain keys. */
  domainHosts(app: string): Promise<string[]>;
  /**
   * Makes the app's certificate keys exactly `certs` (host → value): puts the new and changed ones
   * first (a put replaces a certificate in one step), then deletes the others.
   */
  syncCerts(app: string, certs: ReadonlyMap<string, CertValue>): Promise<void>;
  /** Writes the app's settings key; settings that are all defaults delete it. */
  publishSettings(app: string, settings: AppSettingsValue): Promise<void>;
}

/** The maintenance key of an app (contract v3), written by the MaintenanceService. */
export interface MaintenancePublisher {
  /** Puts the key when `on`, deletes it otherwise. */
  publishMaintenance(app: string, on: boolean): Promise<void>;
}

export class EtcdPublisher implements RoutePublisher, TlsPublisher, MaintenancePublisher {
  /** `secrets` seals the private keys of certificate values (etcd never holds them in clear). */
  constructor(private readonly etcd: Etcd3, private readonly prefix: string, private readonly secrets: SecretBox) {}

  async publishDomain(app: string, host: string): Promise<void> {
    await this.etcd.put(domainKey(this.prefix, app, host)).value(JSON.stringify({ app }));
  }

  async publishBackend(app: string, instanceId: string, value: BackendValue): Promise<void> {
    await this.etcd.put(backendKey(this.prefix, app, instanceId)).value(JSON.stringify(value));
  }

  async withdrawBackend(app: string, instanceId: string): Promise<void> {
    await this.etcd.delete().key(backendKey(this.prefix, app, instanceId));
  }

  async removeApp(app: string): Promise<void> {
    await this.etcd.delete().prefix(appPrefix(this.prefix, app));
  }

  async withdrawDomain(app: string, host: string): Promise<void> {
    await this.etcd.delete().key(domainKey(this.prefix, app, host));
  }

  async domainHosts(app: string): Promise<string[]> {
    const prefix = domainsPrefix(this.prefix, app);
    const keys = await this.etcd.getAll().prefix(prefix).keys();
    return keys.map((key) => key.slice(prefix.length));
  }

  async syncCerts(app: string, certs: ReadonlyMap<string, CertValue>): Promise<void> {
    const prefix = certsPrefix(this.prefix, app);
    const published = await this.etcd.getAll().prefix(prefix).strings();
    for (const [host, value] of certs) {
      const key = certKey(this.prefix, app, host);
      // Sealing draws a new IV each time: compare what the published value opens to instead.
      if (published[key] !== undefined && this.holds(key, published[key], value)) continue;
      await this.etcd.put(key).value(this.sealed(key, value));
    }
    const wanted = new Set([...certs.keys()].map((host) => certKey(this.prefix, app, host)));
    for (const key of Object.keys(published)) if (!wanted.has(key)) await this.etcd.delete().key(key);
  }

  private sealed(key: string, value: CertValue): string {
    const sealed: SealedCertValue = { cert: value.cert, sealedKey: this.secrets.seal(value.key, certSealContext(key)) };
    return JSON.stringify(sealed);
  }

  /** True if the published value is `value`, sealed with the current key. */
  private holds(key: string, raw: string, value: CertValue): boolean {
    const parsed = parseCertValue(raw);
    if (parsed === null || !('sealedKey' in parsed) || parsed.cert !== value.cert) return false;
    if (sealedKeyId(parsed.sealedKey) !== this.secrets.current.id) return false;
    try {
      return this.secrets.open(parsed.sealedKey, certSealContext(key)) === value.key;
    } catch {
      return false;
    }
  }

  /**
   * Seals again, with the current key, every certificate value under the prefix that is not sealed
   * with it: plaintext ones (written before v3) and ones sealed with a key rotated away. Run when the
   * platform starts and by a key rotation. Returns how many values were rewritten.
   */
  async resealCerts(from: SecretBox = this.secrets): Promise<number> {
    const all = await this.etcd.getAll().prefix(appsPrefix(this.prefix)).strings();
    let rewritten = 0;
    for (const [key, raw] of Object.entries(all)) {
      if (parseKey(this.prefix, key)?.kind !== 'cert') continue;
      const parsed = parseCertValue(raw);
      if (parsed === null) continue;
      if ('sealedKey' in parsed && sealedKeyId(parsed.sealedKey) === this.secrets.current.id) continue;
      const plain = 'sealedKey' in parsed ? from.open(parsed.sealedKey, certSealContext(key)) : parsed.key;
      // Only if unchanged since read: a certs:add meanwhile wins.
      const written = await this.etcd.if(key, 'Value', '==', raw).then(this.etcd.put(key).value(this.sealed(key, { cert: parsed.cert, key: plain }))).commit();
      if (written.succeeded) rewritten += 1;
    }
    return rewritten;
  }

  async publishSettings(app: string, settings: AppSettingsValue): Promise<void> {
    if (!settings.redirectHttps) await this.etcd.delete().key(settingsKey(this.prefix, app));
    else await this.etcd.put(settingsKey(this.prefix, app)).value(JSON.stringify({ redirectHttps: true }));
  }

  async publishMaintenance(app: string, on: boolean): Promise<void> {
    const key = maintenanceKey(this.prefix, app);
    if (on) await this.etcd.put(key).value(JSON.stringify({ maintenance: true }));
    else await this.etcd.delete().key(key);
  }

  async publishedBackends(app: string): Promise<Map<string, BackendValue>> {
    const prefix = backendsPrefix(this.prefix, app);
    const found = new Map<string, BackendValue>();
    for (const [key, raw] of Object.entries(await this.etcd.getAll().prefix(prefix).strings())) {
      const value = parseBackendValue(raw);
      if (value) found.set(key.slice(prefix.length), value);
    }
    return found;
  }
}
