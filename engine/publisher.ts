/**
 * Writes what the router needs to etcd (contract: docs/contracts/etcd-keys.md). A backend is
 * published only after its health check passed and withdrawn before its instance is stopped.
 */
import type { Etcd3 } from 'etcd3';
import { appPrefix, backendKey, backendsPrefix, domainKey, type BackendValue } from '../lib/etcd-keys';

export interface RoutePublisher {
  publishDomain(app: string, host: string): Promise<void>;
  publishBackend(app: string, instanceId: string, value: BackendValue): Promise<void>;
  withdrawBackend(app: string, instanceId: string): Promise<void>;
  /** Removes every key of the app (domains and backends). */
  removeApp(app: string): Promise<void>;
  /** Instance ids of the app's published backends. */
  backendIds(app: string): Promise<string[]>;
}

export class EtcdPublisher implements RoutePublisher {
  constructor(private readonly etcd: Etcd3, private readonly prefix: string) {}

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

  async backendIds(app: string): Promise<string[]> {
    const prefix = backendsPrefix(this.prefix, app);
    const keys = await this.etcd.getAll().prefix(prefix).keys();
    return keys.map((key) => key.slice(prefix.length));
  }
}
