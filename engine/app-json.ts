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

export interface AppJson {
  formation: Record<string, { quantity?: number; memoryMb?: number; cpu?: number }>;
  healthchecks: Record<string, HealthCheck[]>;
  scripts: { postdeploy?: string };
}

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

function parseCheck(raw: unknown, where: string): HealthCheck {
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
    attempts: Math.max(1, Math.floor(numberField(check.attempts, `${where}.attempts`, 3, 1))),
    wait: numberField(check.wait, `${where}.wait`, 5),
    timeout: numberField(check.timeout, `${where}.timeout`, 5, 0.1),
    initialDelay: numberField(check.initialDelay, `${where}.initialDelay`, 0),
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

/** Parses app.json text; a file that is not valid JSON fails the build with a clear message. */
export function parseAppJson(text: string | null): AppJson {
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
    healthchecks[type] = checks.map((check, index) => parseCheck(check, `healthchecks.${type}[${index}]`));
  }

  const scripts = (doc.scripts ?? {}) as Record<string, unknown>;
  return {
    formation,
    healthchecks,
    scripts: typeof scripts.postdeploy === 'string' && scripts.postdeploy.trim() ? { postdeploy: scripts.postdeploy } : {},
  };
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
