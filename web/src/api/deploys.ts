/**
 * The deploy timeline's calls (GET /apps/:app/deploys), the build log followed while a build runs
 * (GET /apps/:app/logs?source=build&tail=1) and a finished build's output (GET
 * /apps/:app/builds/:id/output); both logs need operate. Types from api/schemas.
 */
import type { BuildOutput } from '../../../api/schemas/apps';
import type { DeployJson, Phase } from '../../../api/schemas/deploys';
import { call, enc } from './client';

export type Deploy = DeployJson;
export type { Phase };

export const deploysApi = {
  list: (app: string) => call<Deploy[]>('GET', `/apps/${enc(app)}/deploys?limit=15`),
  /** A finished build's whole output, as the push showed it (operate). */
  buildOutput: (app: string, build: string) => call<BuildOutput>('GET', `/apps/${enc(app)}/builds/${enc(build)}/output`),
};

/** `2026-12-06T02:00:00.000000Z build[build]: text` → `text`. */
function textOf(line: string): string {
  const match = /^\S+ build\[[^\]]*\]: (.*)$/.exec(line);
  return match ? match[1]! : line;
}

/**
 * Follows the app's build lines since `since` (one long request, a stream: no polling) and hands
 * each line to `onLine` until `signal` aborts or the server ends the stream.
 */
export async function followBuildLog(app: string, since: string, onLine: (line: string) => void, signal: AbortSignal): Promise<void> {
  const query = new URLSearchParams({ source: 'build', since, lines: '1000', tail: '1' });
  const response = await fetch(`/api/v1/apps/${enc(app)}/logs?${query.toString()}`, { credentials: 'same-origin', signal, headers: { accept: 'text/plain' } });
  if (!response.ok || !response.body) return;
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let partial = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    const parts = (partial + value).split('\n');
    partial = parts.pop() ?? '';
    for (const line of parts) if (line !== '') onLine(textOf(line));
  }
}
