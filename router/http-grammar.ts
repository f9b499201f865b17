/**
 * Character classes of HTTP/1.1's grammar (RFC 9110 §5.6, RFC 9112), as 256-entry tables for the
 * byte-at-a-time parsers of the fast path (router/http1.ts, router/chunked-body.ts). Pure.
 */

function charTable(allowed: (code: number) => boolean): Uint8Array {
  const table = new Uint8Array(256);
  for (let code = 0; code < 256; code += 1) table[code] = allowed(code) ? 1 : 0;
  return table;
}

/** tchar of RFC 9110 §5.6.2: what a header name, a method or a chunk extension may be made of. */
export const TOKEN_CHARS = charTable((code) => code > 0x20 && code < 0x7f && !'"(),/:;<=>?@[\\]{}'.includes(String.fromCharCode(code)));
/** A field value: visible characters, spaces, tabs and obs-text; no CR, LF, NUL or other controls. */
export const VALUE_CHARS = charTable((code) => code === 0x09 || (code >= 0x20 && code !== 0x7f));
/** An origin-form request target (`/path?query`): visible ASCII only. */
export const TARGET_CHARS = charTable((code) => code > 0x20 && code < 0x7f);

/**
 * Whether `text` (a reason phrase or a field value as Node decoded it, latin1) is field text:
 * VALUE_CHARS only. llhttp lets control bytes through in a reason phrase, and node:http throws
 * when asked to send one; what an app sends is checked with this before it reaches a writeHead.
 */
export function isFieldText(text: string): boolean {
  for (let i = 0; i < text.length; i += 1) {
    const code = text.charCodeAt(i);
    if (code > 0xff || VALUE_CHARS[code] !== 1) return false;
  }
  return true;
}
