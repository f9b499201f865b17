/**
 * The last lines of a deploy: where the app is served, or, when no web process runs, which
 * processes do and that no URL serves them (only `web` receives HTTP).
 */
import type { FormationEntry } from './model';

export interface DeploySummaryInput {
  app: string;
  url: string;
  formation: readonly FormationEntry[];
  /** The process types the release's build can run (engine/deployer.ts runnableTypes). */
  types: Readonly<Record<string, unknown>>;
}

/** Lines to print once a release is live, without the push's indentation. Pure. */
export function deploySummary({ app, url, formation, types }: DeploySummaryInput): string[] {
  const declared = Object.keys(types);
  const quantity = (type: string): number => formation.find((e) => e.type === type)?.quantity ?? 0;
  const running = declared.filter((type) => quantity(type) > 0);
  const idle = declared.filter((type) => quantity(type) === 0);
  const scaleHint = (type: string): string => `slipway ps:scale ${app} ${type}=1`;

  if (running.includes('web')) {
    const lines = [`${url} deployed to Slipway`];
    if (idle.length > 0) lines.push(`Not running (scaled to 0): ${idle.join(', ')}. Start one with: ${scaleHint(idle[0]!)}`);
    return lines;
  }
  const lines = [running.length > 0
    ? `Deployed to Slipway: ${running.map((type) => `${type}=${quantity(type)}`).join(', ')} running.`
    : `Deployed to Slipway, but no process runs: ${declared.length > 0 ? `${declared.join(', ')} ${declared.length === 1 ? 'is' : 'are'} scaled to 0` : 'the build declares none'}.`];
  lines.push(declared.includes('web')
    ? `No URL serves ${app}: its web process is scaled to 0. Serve it at ${url} with: ${scaleHint('web')}`
    : `No URL serves ${app}: only a web process receives HTTP, and the Procfile declares none (add a "web:" line to serve ${url}).`);
  if (running.length === 0 && idle.length > 0 && idle.some((type) => type !== 'web')) {
    lines.push(`Start a process with: ${scaleHint(idle.find((type) => type !== 'web')!)}`);
  }
  return lines;
}
