/** Procfile parsing (pure): `type: command` per line, Heroku's rules. */
import type { ProcessTypes } from '../engine/model';

const LINE = /^([A-Za-z0-9_-]+):\s*(.+)$/;

export function parseProcfile(text: string): ProcessTypes {
  const types: Record<string, string> = {};
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const match = LINE.exec(line);
    if (match) types[match[1]!] = match[2]!.trim();
  }
  return types;
}

/** Process types from a buildpack's `bin/release` YAML (`default_process_types`). */
export function processTypesFromRelease(release: unknown): ProcessTypes {
  if (typeof release !== 'object' || release === null) return {};
  const defaults = (release as { default_process_types?: unknown }).default_process_types;
  if (typeof defaults !== 'object' || defaults === null) return {};
  const types: Record<string, string> = {};
  for (const [type, command] of Object.entries(defaults)) {
    if (typeof command === 'string' && command.trim() !== '') types[type] = command.trim();
  }
  return types;
}
