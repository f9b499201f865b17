/** Heroku's router line from the router's record of one request (pure). */
import type { RouterLogRecord } from '../../lib/router-log-record';

/** What the router's error codes mean, for `desc="…"` (router/error-pages.ts has the same titles). */
const DESCRIPTIONS: Readonly<Record<string, string>> = {
  R400: 'Bad request', R404: 'No such app', R408: 'Request timeout', R413: 'Request body too large',
  R414: 'Request line too long', R431: 'Request header too large', R499: 'Client closed the request',
  R501: 'Not implemented', R502: 'Bad gateway', R503: 'No running web process', R504: 'Gateway timeout',
  R510: 'Routes not loaded', R580: 'Offline for maintenance', R598: 'Idle connection',
};

/**
 * `at=info method=GET path="/" host=my-app.slipway.localhost request_id=… fwd="127.0.0.1"
 * dyno=web.1 connect=1ms service=3ms status=200 bytes=13 protocol=http`, with `at=error code=R503
 * desc="…"` first for a request the router answered itself.
 */
export function routerLineText(record: RouterLogRecord, dyno: string): string {
  const error = record.e !== '' ? `at=error code=${record.e} desc=${quote(DESCRIPTIONS[record.e] ?? record.e)} ` : 'at=info ';
  return `${error}method=${token(record.m)} path=${quote(record.p)} host=${token(record.h)} request_id=${token(record.r)} fwd=${quote(record.f)}` +
    ` dyno=${dyno === '' ? '' : token(dyno)} connect=${ms(record.c)} service=${ms(record.v)} status=${record.s} bytes=${record.b} protocol=http`;
}

function ms(value: number): string {
  return value < 0 ? '' : `${value}ms`;
}

/** A value that cannot contain a space or a quote (else it is quoted). */
function token(value: string): string {
  return /^[\x21\x23-\x7e]*$/.test(value) ? value : quote(value);
}

function quote(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}
