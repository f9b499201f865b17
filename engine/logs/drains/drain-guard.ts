/**
 * Resolves a drain's host and refuses it when any of its addresses is one a tenant may not reach
 * through the platform (drain-address.ts). Called when a drain is added and again for every
 * connection (the transports connect to the address checked here, never resolving twice), so
 * a DNS record changed after `drains:add` cannot point a drain at etcd or the Docker bridge.
 * `SLIPWAY_DRAINS_ALLOW_PRIVATE=1` lets an operator send to private networks (and the tests
 * to their local receivers).
 */
import dns from 'node:dns';
import net from 'node:net';
import os from 'node:os';
import { SlipwayError } from '../../../lib/errors';
import { addressProblem } from './drain-address';

export type Resolve = (host: string) => Promise<string[]>;

const systemResolve: Resolve = async (host) => (await dns.promises.lookup(host, { all: true, verbatim: true })).map((entry) => entry.address);

/** Every address of the host's interfaces, read at each check (Docker adds bridges as it goes). */
export function hostAddresses(): Set<string> {
  const all = new Set<string>();
  for (const list of Object.values(os.networkInterfaces())) for (const entry of list ?? []) all.add(entry.address);
  return all;
}

export class DrainAddressGuard {
  constructor(
    readonly allowPrivate: boolean,
    private readonly resolve: Resolve = systemResolve,
    private readonly ownAddresses: () => ReadonlySet<string> = hostAddresses,
  ) {}

  /** The addresses of `host` (a name or an IP), all allowed; throws drain_address_refused or invalid_drain. */
  async addresses(host: string): Promise<string[]> {
    const bare = host.replace(/^\[|\]$/g, '');
    let addresses: string[];
    if (net.isIP(bare) !== 0) addresses = [bare];
    else {
      try {
        addresses = await this.resolve(bare);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code ?? 'an error';
        throw new SlipwayError('invalid_drain', `The drain host ${bare} does not resolve (${code}): check its name.`);
      }
      if (addresses.length === 0) throw new SlipwayError('invalid_drain', `The drain host ${bare} has no address: check its name.`);
    }
    if (this.allowPrivate) return addresses;
    const own = this.ownAddresses();
    for (const address of addresses) {
      const problem = addressProblem(address, own);
      if (problem !== null) {
        const named = address === bare ? address : `${bare} (${address})`;
        throw new SlipwayError('drain_address_refused',
          `A drain cannot send to ${named}: ${problem}. Drains may not reach the platform's host or private networks; `
          + 'give a public address, or ask the operator to set SLIPWAY_DRAINS_ALLOW_PRIVATE=1.');
      }
    }
    return addresses;
  }

  /** `lookup` for net.connect and https.request: answers only checked addresses. */
  readonly lookup = (hostname: string, options: dns.LookupOptions, callback: (error: NodeJS.ErrnoException | null, address: string | dns.LookupAddress[], family?: number) => void): void => {
    this.addresses(hostname).then((addresses) => {
      if (options.all) callback(null, addresses.map((address) => ({ address, family: net.isIP(address) })));
      else callback(null, addresses[0]!, net.isIP(addresses[0]!));
    }, (error: Error) => callback(error as NodeJS.ErrnoException, ''));
  };
}
