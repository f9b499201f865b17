import type { AppAddresses } from '../engine/apps-service';
import type { Config } from '../lib/config';

/** Where users reach an app and its repository, derived from the configuration (and the SSH port actually bound). */
export function addressesFrom(config: Config, sshPort: () => number): AppAddresses {
  const routerPort = config.routerPort === 80 ? '' : `:${config.routerPort}`;
  return {
    hostFor: (app) => `${app}.${config.domain}`,
    urlFor: (app) => `http://${app}.${config.domain}${routerPort}`,
    gitUrlFor: (app) => `ssh://git@${config.publicHost}:${sshPort()}/${app}.git`,
  };
}

/** The URL this host reaches a service of its own at: a wildcard listen address means loopback. */
export function localUrl(host: string, port: number): string {
  return `http://${['', '0.0.0.0', '::'].includes(host) ? '127.0.0.1' : host}:${port}`;
}
