/**
 * app.json, read from the pushed commit: formation (first deploy), health checks (Dokku's format)
 * and scripts. Parsing is pure and strict about types, lenient about unknown keys (as Heroku is).
 */
import { SlipwayError } from '../lib/errors';

export type CheckType = 'startup' | 'liveness' | 'readiness';

export interface HealthCheck {
  type: CheckType;
  name: string;
  /** HTTP path probed on $PORT; checks without a path only require the process to stay up. */
  path: string | null;
  /** Text the response body must contain. */
  content: string | null;
  attempts: number;
  /** Seconds between attempts. */
  wait: number;
  /** Seconds one attempt may take. */
  timeout: number;
  /** Seconds to wait before the first attempt. */
  initialDelay: number;
}

export interface AppJsonScripts {
  /** Heroku's: runs once, after the app's first release is live. */
  postdeploy?: string;
  /** Dokku's `scripts.dokku.predeploy`: runs in the new image before each release goes live. */
  dokkuPredeploy?: string;
  /** Dokku's `scripts.dokku.postdeploy`: runs after each release is live. */
  dokkuPostdeploy?: string;
}

export interface AppJson {
  formation: Record<string, { quantity?: number; memoryMb?: number; cpu?: number }>;
  healthchecks: Record<string, HealthCheck[]>;
  scripts: AppJsonScripts;
}

/**
 * What a health check may ask for (docs: README "Health checks"). Beyond these a failing check
 * holds a deploy, and the app's lock, for hours: refused before the build, naming the field.
 */
export const CHECK_BOUNDS = {
  attempts: { min: 1, max: 60, unit: '' },
  wait: { min: 0, max: 60, unit: ' s' },
  timeout: { min: 0.1, max: 60, unit: ' s' },
  initialDelay: { min: 0, max: 600, unit: ' s' },
} as const;

export type BoundedCheckField = keyof typeof CHECK_BOUNDS;

/** How values out of CHECK_BOUNDS are treated: refused (a push) or brought into range (builds stored before the bounds). */
export type BoundsMode = 'refuse' | 'clamp';

export const EMPTY_APP_JSON: AppJson = Object.freeze({ formation: {}, healthchecks: {}, scripts: {} }) as AppJson;

const CHECK_TYPES: readonly CheckType[] = ['startup', 'liveness', 'readiness'];

function invalid(message: string): never {
  throw new SlipwayError('build_failed', `app.json: ${message}`);
}

function numberField(value: unknown, where: string, fallback: number, min = 0): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min) invalid(`${where} must be a number ≥ ${min}`);
  return value;
}

function boundedField(value: unknown, where: string, field: BoundedCheckField, fallback: number, mode: BoundsMode): number {
  if (value === undefined) return fallback;
  const { min, max, unit } = CHECK_BOUNDS[field];
  const range = `from ${min} to ${max}${unit}`;
  if (typeof value !== 'number' || !Number.isFinite(value)) invalid(`${where}.${field} must be a number ${range}`);
  if (value >= min && value <= max) return value;
  if (mode === 'clamp') return Math.min(max, Math.max(min, value));
  return invalid(`${where}.${field} is ${value}, out of range: it must be ${range}. Lower it and push again`);
}

function parseCheck(raw: unknown, where: string, mode: BoundsMode): HealthCheck {
  if (typeof raw !== 'object' || raw === null) invalid(`${where} must be an object`);
  const check = raw as Record<string, unknown>;
  const type = (check.type ?? 'startup') as CheckType;
  if (!CHECK_TYPES.includes(type)) invalid(`${where}.type must be one of ${CHECK_TYPES.join(', ')}`);
  const path = check.path === undefined ? null : String(check.path);
  if (path !== null && !path.startsWith('/')) invalid(`${where}.path must start with /`);
  return {
    type,
    name: typeof check.name === 'string' ? check.name : `${type} check${path ? ` ${path}` : ''}`,
    path,
    content: check.content === undefined ? null : String(check.content),
    attempts: Math.max(1, Math.floor(boundedField(check.attempts, where, 'attempts', 3, mode))),
    wait: boundedField(check.wait, where, 'wait', 5, mode),
    timeout: boundedField(check.timeout, where, 'timeout', 5, mode),
    initialDelay: boundedField(check.initialDelay, where, 'initialDelay', 0, mode),
  };
}

function isObject(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function memoryField(value: unknown, where: string): number {
  try {
    return parseMemory(String(value));
  } catch (error) {
    return invalid(`${where}: ${(error as Error).message}`);
  }
}

/**
 * Parses app.json text; a file that is not valid JSON, or asks for what Slipway refuses, fails
 * with build_failed and a clear message. `mode` 'clamp' reads builds stored before the bounds.
 */
export function parseAppJson(text: string | null, mode: BoundsMode = 'refuse'): AppJson {
  if (text === null || text.trim() === '') return EMPTY_APP_JSON;
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    invalid(`not valid JSON (${(error as Error).message})`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) invalid('must be a JSON object');
  const doc = raw as Record<string, unknown>;

  const formation: AppJson['formation'] = {};
  if (!isObject(doc.formation ?? {})) invalid('formation must be an object like {"web": {"quantity": 1}}');
  for (const [type, value] of Object.entries((doc.formation ?? {}) as Record<string, unknown>)) {
    if (value !== null && value !== undefined && !isObject(value)) invalid(`formation.${type} must be an object like {"quantity": 1}`);
    const entry = (value ?? {}) as Record<string, unknown>;
    formation[type] = {
      ...(entry.quantity === undefined ? {} : { quantity: Math.floor(numberField(entry.quantity, `formation.${type}.quantity`, 0)) }),
      ...(entry.memory === undefined ? {} : { memoryMb: memoryField(entry.memory, `formation.${type}.memory`) }),
      ...(entry.cpu === undefined ? {} : { cpu: numberField(entry.cpu, `formation.${type}.cpu`, 1, 0.01) }),
    };
  }

  const healthchecks: AppJson['healthchecks'] = {};
  if (!isObject(doc.healthchecks ?? {})) invalid('healthchecks must be an object like {"web": [ … ]}');
  for (const [type, checks] of Object.entries((doc.healthchecks ?? {}) as Record<string, unknown>)) {
    if (!Array.isArray(checks)) invalid(`healthchecks.${type} must be a list of checks`);
    healthchecks[type] = checks.map((check, index) => parseCheck(check, `healthchecks.${type}[${index}]`, mode));
  }

  return { formation, healthchecks, scripts: parseScripts(doc.scripts) };
}

function script(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() ? value : undefined;
}

function parseScripts(raw: unknown): AppJsonScripts {
  const scripts = (isObject(raw) ? raw : {}) as Record<string, unknown>;
  const dokku = (isObject(scripts.dokku) ? scripts.dokku : {}) as Record<string, unknown>;
  const found: AppJsonScripts = {
    postdeploy: script(scripts.postdeploy),
    dokkuPredeploy: script(dokku.predeploy),
    dokkuPostdeploy: script(dokku.postdeploy),
  };
  return Object.fromEntries(Object.entries(found).filter(([, value]) => value !== undefined)) as AppJsonScripts;
}

/** Keys of app.json that Heroku or Dokku act on and Slipway reads (env and buildpacks: engine/app-setup.ts). */
const READ_KEYS = new Set(['env', 'buildpacks', 'formation', 'healthchecks', 'scripts']);
/** Descriptive keys: nothing to act on. */
const DESCRIPTIVE_KEYS = new Set(['$schema', 'name', 'description', 'keywords', 'website', 'repository', 'logo', 'success_url']);
const READ_SCRIPTS = new Set(['postdeploy', 'dokku']);
const READ_DOKKU_SCRIPTS = new Set(['predeploy', 'postdeploy']);

/**
 * What app.json asks for that Slipway does not do, one line each, to be said at push time (never
 * silently dropped). Pure; text that does not parse gives none (parseAppJson refuses it).
 */
export function ignoredAppJsonParts(text: string | null): string[] {
  if (text === null || text.trim() === '') return [];
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return [];
  }
  if (!isObject(doc)) return [];
  const notes: string[] = [];
  const top = doc as Record<string, unknown>;
  for (const key of Object.keys(top)) {
    if (!READ_KEYS.has(key) && !DESCRIPTIVE_KEYS.has(key)) notes.push(`${key} is not supported by Slipway and is ignored`);
  }
  if (isObject(top.scripts)) {
    const scripts = top.scripts as Record<string, unknown>;
    for (const [key, value] of Object.entries(scripts)) {
      if (!READ_SCRIPTS.has(key)) notes.push(`scripts.${key} is not run by Slipway and is ignored`);
      else if (key === 'postdeploy' && value !== undefined && script(value) === undefined) notes.push('scripts.postdeploy is not a command (a non-empty string) and is ignored');
    }
    if (scripts.dokku !== undefined && !isObject(scripts.dokku)) notes.push('scripts.dokku is not an object like {"predeploy": "…"} and is ignored');
    if (isObject(scripts.dokku)) {
      for (const [key, value] of Object.entries(scripts.dokku as Record<string, unknown>)) {
        if (!READ_DOKKU_SCRIPTS.has(key)) notes.push(`scripts.dokku.${key} is not run by Slipway and is ignored (predeploy and postdeploy are)`);
        else if (script(value) === undefined) notes.push(`scripts.dokku.${key} is not a command (a non-empty string) and is ignored`);
      }
    }
  }
  return notes;
}

/** "512m", "1g", "256" (MB) → megabytes. */
export function parseMemory(text: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*(?:([mMgG])[bB]?)?$/.exec(text.trim());
  if (!match) {
    throw new SlipwayError('invalid_request', `"${text}" is not a memory size. Use megabytes or gigabytes, like 512m or 1g.`);
  }
  const value = Number(match[1]) * (match[2]?.toLowerCase() === 'g' ? 1024 : 1);
  if (value < 16) throw new SlipwayError('invalid_request', `${text} is too little memory for a process (16m at least).`);
  return Math.round(value);
}
