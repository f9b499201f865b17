/**
 * The request target of a request the full proxy (router/proxy.ts) takes, as Node's parser gives
 * it in `req.url`. Pure.
 *
 * Most are origin-form (`/path?query`). An absolute-form target (`http://shop.test/path`, as a
 * client sends to a forward proxy) names its host itself, and RFC 9112 §3.2.2 says that host wins
 * over the Host header: the router routes by it, and passes the request on in origin form with a
 * Host of that authority, as nginx does. The asterisk form (`OPTIONS *`, RFC 9112 §3.2.4: a
 * question to the server as a whole) is passed on as it is, routed by Host, as nginx does: behind
 * the router "the server" is the app. Anything else (`*` with another method, an authority alone,
 * another scheme, userinfo) is refused.
 */

export type RequestTarget =
  | { readonly ok: true; readonly path: string; readonly authority: string | undefined }
  | { readonly ok: false; readonly message: string };

/** scheme "://" authority [ path-abempty ] [ "?" query ]; the authority without userinfo. */
const ABSOLUTE_FORM = /^(https?):\/\/([^/?#@]+)([/?][^#]*)?$/i;

export function readRequestTarget(url: string, method: string): RequestTarget {
  if (url.startsWith('/')) return { ok: true, path: url, authority: undefined };
  if (url === '*') {
    return method === 'OPTIONS' ? { ok: true, path: url, authority: undefined } : { ok: false, message: 'The asterisk request target (*) is for OPTIONS only.' };
  }
  const match = ABSOLUTE_FORM.exec(url);
  if (match === null) return { ok: false, message: 'The request target is neither a path nor an absolute http(s) URL.' };
  const rest = match[3] ?? '';
  return { ok: true, path: rest.startsWith('/') ? rest : `/${rest}`, authority: match[2] as string };
}
