/**
 * The router's own answers when it cannot pass a request on. Each has a short code (like
 * Heroku's H-codes) that appears on the page, in the X-Slipway-Error header and in the access
 * log, so an operator can match a user's report to log lines. Documented in docs/router.md.
 */

export const ROUTER_ERRORS = {
  R400: { status: 400, title: 'Bad request' },
  R404: { status: 404, title: 'No such app' },
  R408: { status: 408, title: 'Request timeout' },
  R413: { status: 413, title: 'Request body too large' },
  R414: { status: 414, title: 'Request line too long' },
  R431: { status: 431, title: 'Request header too large' },
  /** Log only: the client went away before the answer was complete (nothing to answer). */
  R499: { status: 499, title: 'Client closed the request' },
  /** CONNECT: the router is no tunnel (RFC 9110 §15.6.2: a method it supports for no resource). */
  R501: { status: 501, title: 'Not implemented' },
  R502: { status: 502, title: 'Bad gateway' },
  R503: { status: 503, title: 'No running web process' },
  R504: { status: 504, title: 'Gateway timeout' },
  R510: { status: 503, title: 'Routes not loaded' },
  /** The app is in maintenance mode (`slipway maintenance:on`); its processes keep running. */
  R580: { status: 503, title: 'Offline for maintenance' },
  /** Log only: the response had started when the connection went idle, so it was cut. */
  R598: { status: 504, title: 'Idle connection' },
} as const;

export type RouterErrorCode = keyof typeof ROUTER_ERRORS;

export interface ErrorPage {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** An HTML page for browsers (Accept mentions text/html), one line of plain text otherwise. */
export function renderErrorPage(code: RouterErrorCode, message: string, accept: string | undefined): ErrorPage {
  const { status, title } = ROUTER_ERRORS[code];
  const html = (accept ?? '').includes('text/html');
  const body = html
    ? '<!doctype html>\n<html><head><meta charset="utf-8"><title>' +
      escapeHtml(title) +
      '</title></head>\n<body><h1>' +
      escapeHtml(title) +
      '</h1>\n<p>' +
      escapeHtml(message) +
      '</p>\n<p><small>Slipway router error ' +
      code +
      '</small></p></body></html>\n'
    : `${code} ${message}\n`;
  return {
    status,
    headers: {
      'content-type': html ? 'text/html; charset=utf-8' : 'text/plain; charset=utf-8',
      'content-length': String(Buffer.byteLength(body)),
      'cache-control': 'no-store',
      'x-slipway-error': code,
    },
    body,
  };
}

/** The Host header is the client's to choose, so it must never become markup. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}
