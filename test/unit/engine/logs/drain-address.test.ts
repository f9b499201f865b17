/**
 * Drains cannot reach the platform's private addresses (SSRF): a tenant's `syslog://127.0.0.1:2379`
 * would otherwise talk to etcd. IPv4, IPv6 and IPv4 carried in IPv6 are judged alike; names are
 * resolved and judged by every address, at add time and at each connection.
 */
import net from 'node:net';
import { expect } from 'chai';
import { addressProblem, canonicalIp } from '../../../../engine/logs/drains/drain-address';
import { DrainAddressGuard } from '../../../../engine/logs/drains/drain-guard';
import { SyslogTransport } from '../../../../engine/logs/drains/transports';
import { SlipwayError } from '../../../../lib/errors';

describe('engine/logs/drains/drain-address', () => {
  const refused: Record<string, RegExp> = {
    '127.0.0.1': /loopback/, '127.255.0.9': /loopback/, '0.0.0.0': /unspecified/,
    '10.1.2.3': /private/, '172.16.0.1': /private/, '172.31.255.255': /private/, '192.168.1.1': /private/,
    '100.64.0.1': /carrier-grade/, '169.254.169.254': /link-local/, '224.0.0.1': /multicast/, '255.255.255.255': /multicast or reserved/,
    '::1': /loopback/, '::': /unspecified/, 'fd00::1': /unique local/, 'fc12:3456::1': /unique local/,
    'fe80::1': /link-local/, 'fe80::1%eth0': /link-local/, 'ff02::1': /multicast/, '[::1]': /loopback/,
    // IPv4 inside IPv6: judged as the IPv4 it carries.
    '::ffff:127.0.0.1': /loopback/, '::ffff:7f00:1': /loopback/, '::ffff:10.0.0.1': /private/, '0:0:0:0:0:ffff:a9fe:a9fe': /link-local/,
    '::127.0.0.1': /loopback/, '64:ff9b::a00:1': /private/, '2002:c0a8:0101::1': /private/,
  };
  for (const [ip, why] of Object.entries(refused)) {
    it(`refuses ${ip}`, () => {
      expect(addressProblem(ip)).to.match(why);
    });
  }

  for (const ip of ['93.184.216.34', '8.8.8.8', '172.32.0.1', '100.128.0.1', '2606:4700:4700::1111', '::ffff:8.8.8.8', '64:ff9b::808:808']) {
    it(`allows the public address ${ip}`, () => {
      expect(addressProblem(ip)).to.equal(null);
    });
  }

  it('refuses the host\'s own addresses, however they are spelled', () => {
    const own = new Set(['203.0.113.7', '2a01:4f8::7']);
    expect(addressProblem('203.0.113.7', own)).to.match(/host Slipway runs on/);
    expect(addressProblem('::ffff:203.0.113.7', own)).to.match(/host Slipway runs on/);
    expect(addressProblem('2a01:04f8:0000::0007', own)).to.match(/host Slipway runs on/);
    expect(addressProblem('203.0.113.8', own)).to.equal(null);
  });

  it('refuses what is not an address', () => {
    expect(addressProblem('example.com')).to.match(/not an IP/);
  });

  it('spells addresses one way for comparing', () => {
    expect(canonicalIp('::FFFF:10.0.0.1')).to.equal('10.0.0.1');
    expect(canonicalIp('2001:db8::1')).to.equal('2001:db8:0:0:0:0:0:1');
  });
});

describe('engine/logs/drains/drain-guard', () => {
  const noOwn = (): Set<string> => new Set();

  it('refuses a name that resolves to a private address, naming it and the setting', async () => {
    const guard = new DrainAddressGuard(false, async () => ['93.184.216.34', '10.0.0.5'], noOwn);
    const error = await guard.addresses('logs.example.com').then(() => null, (e: unknown) => e);
    expect(error).to.be.instanceOf(SlipwayError);
    expect((error as SlipwayError).code).to.equal('drain_address_refused');
    expect((error as SlipwayError).message).to.contain('logs.example.com (10.0.0.5)').and.to.contain('SLIPWAY_DRAINS_ALLOW_PRIVATE=1');
  });

  it('refuses an IP literal without resolving it', async () => {
    const guard = new DrainAddressGuard(false, async () => { throw new Error('not called'); }, noOwn);
    const error = await guard.addresses('[::ffff:127.0.0.1]').then(() => null, (e: unknown) => e);
    expect((error as SlipwayError).code).to.equal('drain_address_refused');
  });

  it('answers a public name\'s addresses', async () => {
    const guard = new DrainAddressGuard(false, async () => ['93.184.216.34'], noOwn);
    expect(await guard.addresses('logs.example.com')).to.deep.equal(['93.184.216.34']);
  });

  it('allows private addresses when the operator says so', async () => {
    const guard = new DrainAddressGuard(true, async () => ['127.0.0.1'], noOwn);
    expect(await guard.addresses('localhost')).to.deep.equal(['127.0.0.1']);
  });

  it('says a name that does not resolve is not a drain host', async () => {
    const guard = new DrainAddressGuard(false, async () => { throw Object.assign(new Error('nope'), { code: 'ENOTFOUND' }); }, noOwn);
    const error = await guard.addresses('nowhere.invalid').then(() => null, (e: unknown) => e);
    expect((error as SlipwayError).code).to.equal('invalid_drain');
    expect((error as SlipwayError).message).to.contain('ENOTFOUND');
  });

  it('checks again at connect time: a name whose DNS changed to loopback after drains:add is never connected to', async () => {
    let connections = 0;
    const server = net.createServer((socket) => { connections += 1; socket.destroy(); });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    let answer = ['93.184.216.34'];
    const guard = new DrainAddressGuard(false, async () => answer, noOwn);
    expect(await guard.addresses('logs.example.com')).to.deep.equal(['93.184.216.34']); // as drains:add saw it
    answer = ['127.0.0.1']; // the record changed
    const transport = new SyslogTransport(new URL(`syslog://logs.example.com:${port}`), [], guard);
    const error = await transport.send('x').then(() => null, (e: unknown) => e);
    transport.close();
    server.close();
    expect((error as SlipwayError).code).to.equal('drain_address_refused');
    expect(connections).to.equal(0);
  });

  it('gives net.connect only checked addresses through its lookup', async () => {
    const guard = new DrainAddressGuard(false, async () => ['127.0.0.1'], noOwn);
    const error = await new Promise<Error | null>((resolve) => {
      guard.lookup('logs.example.com', {}, (e) => resolve(e));
    });
    expect((error as unknown as SlipwayError).code).to.equal('drain_address_refused');
  });
});
