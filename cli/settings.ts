/**
 * Where the CLI finds the API and its token. The order, first match wins:
 *
 *   API URL: SLIPWAY_API_URL, else the apiUrl of the credentials file that supplied the token,
 *            else http://127.0.0.1:5080.
 *   token:   SLIPWAY_TOKEN, else ~/.slipway/credentials.json (what `slipway login` writes),
 *            else $SLIPWAY_STATE_DIR/admin-credentials.json (SLIPWAY_STATE_DIR defaults to
 *            /var/lib/slipway; the first admin's token, written by scripts/up).
 *
 * Credentials files hold `{"apiUrl": "...", "token": "...", "user": "admin"}`. `login` writes
 * the user's file with mode 0600 (its directory 0700), `logout` removes it.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CliError } from './cli-error';

export const DEFAULT_API_URL = 'http://127.0.0.1:5080';
export const DEFAULT_STATE_DIR = '/var/lib/slipway';

export type Env = Readonly<Record<string, string | undefined>>;

export interface Settings {
  /** Without a trailing slash, e.g. http://127.0.0.1:5080 */
  readonly apiUrl: string;
  readonly token: string;
  /** Where the token came from: "SLIPWAY_TOKEN" or a credentials file path. */
  readonly tokenSource: string;
  /** Where the API URL came from: "SLIPWAY_API_URL", a credentials file path, or "default". */
  readonly apiUrlSource: string;
}

export interface SettingsSources {
  env: Env;
  /** The user's home directory; defaults to os.homedir(). */
  homeDir?: string;
}

interface Credentials {
  apiUrl?: string;
  token?: string;
  tokenId?: string;
}

/** The file `slipway login` writes and `logout` removes. */
export function loginFilePath(homeDir: string = os.homedir()): string {
  return path.join(homeDir, '.slipway', 'credentials.json');
}

/** The credentials files, in the order they are tried: the user's login, then the platform's first admin. */
export function credentialsPaths(env: Env, homeDir: string = os.homedir()): string[] {
  const stateDir = path.resolve(env.SLIPWAY_STATE_DIR || DEFAULT_STATE_DIR);
  return [loginFilePath(homeDir), path.join(stateDir, 'admin-credentials.json')];
}

type ReadResult =
  | { kind: 'found'; credentials: Credentials }
  | { kind: 'missing' }
  | { kind: 'unreadable'; reason: string };

function readCredentials(file: string): ReadResult {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return { kind: 'missing' };
    if (code === 'EACCES' || code === 'EPERM') return { kind: 'unreadable', reason: `${file} is not readable by this user` };
    return { kind: 'unreadable', reason: `${file} could not be read (${code ?? String(error)})` };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new CliError(`${file} is not valid JSON: it should look like {"apiUrl": "...", "token": "...", "user": "admin"}.`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new CliError(`${file} should hold a JSON object like {"apiUrl": "...", "token": "...", "user": "admin"}.`);
  }
  const record = parsed as Record<string, unknown>;
  const credentials: Credentials = {};
  if (typeof record.token === 'string' && record.token.trim() !== '') credentials.token = record.token.trim();
  if (typeof record.apiUrl === 'string' && record.apiUrl.trim() !== '') credentials.apiUrl = record.apiUrl.trim();
  if (typeof record.tokenId === 'number' || (typeof record.tokenId === 'string' && record.tokenId.trim() !== '')) credentials.tokenId = String(record.tokenId).trim();
  return { kind: 'found', credentials };
}

function normaliseApiUrl(raw: string, source: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new CliError(`The API URL "${raw}" (from ${source}) is not a URL: use something like ${DEFAULT_API_URL}.`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new CliError(`The API URL "${raw}" (from ${source}) must start with http:// or https://.`);
  }
  return raw.replace(/\/+$/, '');
}

export function resolveSettings({ env, homeDir = os.homedir() }: SettingsSources): Settings {
  let token: string | null = null;
  let tokenSource = '';
  let fileApiUrl: string | null = null;
  const problems: string[] = [];

  const envToken = env.SLIPWAY_TOKEN?.trim();
  if (envToken) {
    token = envToken;
    tokenSource = 'SLIPWAY_TOKEN';
  } else {
    for (const file of credentialsPaths(env, homeDir)) {
      const result = readCredentials(file);
      if (result.kind === 'unreadable') problems.push(result.reason);
      if (result.kind !== 'found') continue;
      if (!result.credentials.token) {
        problems.push(`${file} has no "token"`);
        continue;
      }
      token = result.credentials.token;
      tokenSource = file;
      fileApiUrl = result.credentials.apiUrl ?? null;
      break;
    }
  }

  if (token === null) {
    const [homeFile, stateFile] = credentialsPaths(env, homeDir);
    const why = problems.length > 0 ? ` (${problems.join('; ')})` : '';
    throw new CliError(
      `No Slipway API token: looked in SLIPWAY_TOKEN, ${homeFile} and ${stateFile}${why}. ` +
        `Run slipway login, or set SLIPWAY_TOKEN=<token>.`,
    );
  }

  const envApiUrl = env.SLIPWAY_API_URL?.trim();
  let apiUrl: string;
  let apiUrlSource: string;
  if (envApiUrl) {
    apiUrlSource = 'SLIPWAY_API_URL';
    apiUrl = normaliseApiUrl(envApiUrl, apiUrlSource);
  } else if (fileApiUrl) {
    apiUrlSource = tokenSource;
    apiUrl = normaliseApiUrl(fileApiUrl, apiUrlSource);
  } else {
    apiUrlSource = 'default';
    apiUrl = DEFAULT_API_URL;
  }

  return { apiUrl, token, tokenSource, apiUrlSource };
}

/** The API URL alone, for calls that need no token (`login`): SLIPWAY_API_URL, else the stored login's, else the default. */
export function resolveApiUrl({ env, homeDir = os.homedir() }: SettingsSources): string {
  const envApiUrl = env.SLIPWAY_API_URL?.trim();
  if (envApiUrl) return normaliseApiUrl(envApiUrl, 'SLIPWAY_API_URL');
  for (const file of credentialsPaths(env, homeDir)) {
    const result = readCredentials(file);
    if (result.kind === 'found' && result.credentials.apiUrl) return normaliseApiUrl(result.credentials.apiUrl, file);
  }
  return DEFAULT_API_URL;
}

export interface StoredLogin {
  apiUrl: string;
  token: string;
  user: string;
  /** The token's id, so that a failed `logout` can name it. */
  tokenId?: number;
}

/** Checks an API URL given on the command line (`login --api-url`), without its trailing slash. */
export function checkApiUrl(raw: string): string {
  return normaliseApiUrl(raw.trim(), '--api-url');
}

/**
 * Writes the login file with mode 0600 (its directory 0700): a new file renamed over the old
 * one, so no other user can read the token even for a moment, and a crash leaves the old file.
 */
export function saveLogin(login: StoredLogin, homeDir: string = os.homedir()): string {
  const file = loginFilePath(homeDir);
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const temporary = `${file}.${process.pid}.tmp`;
  try {
    fs.writeFileSync(temporary, `${JSON.stringify(login, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
    fs.chmodSync(temporary, 0o600); // the umask cannot widen it, but a narrower one would be kept as is
    fs.renameSync(temporary, file);
  } catch (error) {
    fs.rmSync(temporary, { force: true });
    throw new CliError(`Could not write ${file} (${(error as NodeJS.ErrnoException).code ?? String(error)}): check that your home directory is writable.`);
  }
  return file;
}

/** The stored login's token and API URL, or null when there is none. */
export function readLogin(homeDir: string = os.homedir()): { token: string; apiUrl: string | null; tokenId: string | null } | null {
  const result = readCredentials(loginFilePath(homeDir));
  if (result.kind !== 'found' || !result.credentials.token) return null;
  return { token: result.credentials.token, apiUrl: result.credentials.apiUrl ?? null, tokenId: result.credentials.tokenId ?? null };
}

/** Removes the login file; false when there was none. */
export function forgetLogin(homeDir: string = os.homedir()): boolean {
  const file = loginFilePath(homeDir);
  try {
    fs.unlinkSync(file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw new CliError(`Could not remove ${file} (${(error as NodeJS.ErrnoException).code ?? String(error)}).`);
  }
}
