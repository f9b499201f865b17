/** Turns a Host header into the name the route table is keyed by. Pure. */

/**
 * `Shop.Example.com:8080` → `shop.example.com`; `[::1]:80` → `[::1]`; a trailing root dot is
 * dropped (`example.com.` is the same site). Null when there is no usable host.
 */
export function normalizeHost(header: string | undefined): string | null {
  if (header === undefined) return null;
  let host = header.trim().toLowerCase();
  if (host.startsWith('[')) {
    // An IPv6 literal carries colons of its own; the port, if any, follows the bracket.
    const end = host.indexOf(']');
    if (end < 0) return null;
    host = host.slice(0, end + 1);
  } else {
    const colon = host.indexOf(':');
    if (colon >= 0) host = host.slice(0, colon);
  }
  if (host.endsWith('.')) host = host.slice(0, -1);
  if (host === '' || /[\s/\\@]/.test(host)) return null;
  return host;
}
