/**
 * Which addresses a drain may send to. A tenant chooses a drain's host; without this check
 * `syslog://127.0.0.1:2379` would have the platform talk to its own etcd, or a drain on the
 * Docker bridge to another team's app (server-side request forgery). Refused: loopback,
 * unspecified, link-local, private (RFC 1918, unique-local, carrier-grade NAT), multicast,
 * reserved, and the host's own addresses; IPv4 hidden in IPv6 (mapped, compatible, NAT64,
 * 6to4) is judged as the IPv4 it carries. Pure: the caller passes the host's addresses.
 */
import net from 'node:net';

/** Why `ip` may not be a drain's address, or null when it may. */
export function addressProblem(ip: string, hostAddresses: ReadonlySet<string> = new Set()): string | null {
  const bare = ip.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  const kind = net.isIP(bare);
  if (kind === 4) return ipv4Problem(ipv4Bytes(bare)!) ?? ownProblem(bare, hostAddresses);
  if (kind === 6) {
    const bytes = ipv6Bytes(bare);
    if (!bytes) return 'it is not an address Slipway can read';
    const inner = embeddedIpv4(bytes);
    if (inner) return ipv4Problem(inner) ?? ownProblem(inner.join('.'), hostAddresses);
    return ipv6Problem(bytes) ?? ownProblem(canonicalIpv6(bytes), hostAddresses);
  }
  return 'it is not an IP address';
}

function ownProblem(canonical: string, hostAddresses: ReadonlySet<string>): string | null {
  for (const own of hostAddresses) {
    if (canonicalIp(own) === canonical) return 'it is an address of the host Slipway runs on';
  }
  return null;
}

/** The address in one spelling (IPv6 expanded, IPv4-in-IPv6 as IPv4), for comparing. */
export function canonicalIp(ip: string): string {
  const bare = ip.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  if (net.isIP(bare) === 4) return ipv4Bytes(bare)!.join('.');
  const bytes = ipv6Bytes(bare);
  if (!bytes) return bare;
  const inner = embeddedIpv4(bytes);
  return inner ? inner.join('.') : canonicalIpv6(bytes);
}

function ipv4Problem([a, b]: readonly number[]): string | null {
  if (a === 127) return 'it is a loopback address';
  if (a === 0) return 'it is an unspecified address (this host)';
  if (a === 10 || (a === 172 && b! >= 16 && b! <= 31) || (a === 192 && b === 168)) return 'it is a private address';
  if (a === 100 && b! >= 64 && b! <= 127) return 'it is a private address (carrier-grade NAT)';
  if (a === 169 && b === 254) return 'it is a link-local address';
  if (a === 192 && b === 0) return 'it is a reserved address (IETF protocol assignments)';
  if (a === 198 && (b === 18 || b === 19)) return 'it is a reserved address (benchmarking)';
  if (a! >= 224) return 'it is a multicast or reserved address';
  return null;
}

function ipv6Problem(bytes: readonly number[]): string | null {
  if (bytes.every((byte) => byte === 0)) return 'it is an unspecified address (this host)';
  if (bytes.slice(0, 15).every((byte) => byte === 0) && bytes[15] === 1) return 'it is a loopback address';
  if ((bytes[0]! & 0xfe) === 0xfc) return 'it is a private address (unique local)';
  if (bytes[0] === 0xfe && (bytes[1]! & 0xc0) === 0x80) return 'it is a link-local address';
  if (bytes[0] === 0xfe && (bytes[1]! & 0xc0) === 0xc0) return 'it is a private address (site-local)';
  if (bytes[0] === 0xff) return 'it is a multicast address';
  if (bytes[0] === 0x01 && bytes.slice(1, 8).every((byte) => byte === 0)) return 'it is a reserved address (discard)';
  if (bytes[0] === 0x20 && bytes[1] === 0x01 && bytes[2] === 0x0d && bytes[3] === 0xb8) return 'it is a reserved address (documentation)';
  return null;
}

/** The IPv4 address an IPv6 one carries: mapped (::ffff:a.b.c.d), compatible (::a.b.c.d), NAT64 (64:ff9b::/96), 6to4 (2002:AABB:CCDD::). */
function embeddedIpv4(bytes: readonly number[]): number[] | null {
  const zeros = (from: number, to: number): boolean => bytes.slice(from, to).every((byte) => byte === 0);
  if (zeros(0, 10) && bytes[10] === 0xff && bytes[11] === 0xff) return bytes.slice(12);
  // ::a.b.c.d, but not :: and ::1 themselves (judged as IPv6).
  if (zeros(0, 12) && !zeros(12, 15)) return bytes.slice(12);
  if (bytes[0] === 0x00 && bytes[1] === 0x64 && bytes[2] === 0xff && bytes[3] === 0x9b && zeros(4, 12)) return bytes.slice(12);
  if (bytes[0] === 0x20 && bytes[1] === 0x02) return bytes.slice(2, 6);
  return null;
}

function ipv4Bytes(ip: string): number[] | null {
  const parts = ip.split('.');
  if (parts.length !== 4 || !parts.every((part) => /^[0-9]{1,3}$/.test(part) && Number(part) <= 255)) return null;
  return parts.map(Number);
}

function ipv6Bytes(ip: string): number[] | null {
  let text = ip.toLowerCase();
  let tail: number[] = [];
  const v4 = /([0-9.]+)$/.exec(text);
  if (v4 && v4[1]!.includes('.')) {
    const bytes = ipv4Bytes(v4[1]!);
    if (!bytes) return null;
    tail = bytes;
    text = text.slice(0, text.length - v4[1]!.length) + '0:0';
  }
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const groups = (half: string): string[] => (half === '' ? [] : half.split(':'));
  const head = groups(halves[0]!);
  const rest = halves.length === 2 ? groups(halves[1]!) : [];
  const missing = 8 - head.length - rest.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null;
  const all = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...rest];
  if (!all.every((group) => /^[0-9a-f]{1,4}$/.test(group))) return null;
  const bytes = all.flatMap((group) => { const n = parseInt(group, 16); return [n >> 8, n & 0xff]; });
  if (tail.length === 4) bytes.splice(12, 4, ...tail);
  return bytes;
}

function canonicalIpv6(bytes: readonly number[]): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  return groups.join(':');
}
