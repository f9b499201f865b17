/**
 * What `storage:mount` accepts (docs/storage.md): an absolute path in an app's container that a
 * volume may cover, a process type, and a size. Pure: every input is checked here before anything
 * is stored or made, so bad input changes nothing.
 */
import { SlipwayError } from '../../lib/errors';

/** The longest mount path accepted; Docker takes more, people never need it. */
export const MAX_PATH_LENGTH = 200;

/**
 * Paths a volume may neither cover nor sit under: the system's own folders (a volume there would
 * hide the stack's programs, libraries and devices) and /app, where buildpack apps' code lives in
 * the run image (a volume there would keep serving the first deploy's code after every push).
 */
export const REFUSED_ROOTS: readonly string[] = Object.freeze([
  '/app', '/bin', '/boot', '/dev', '/etc', '/lib', '/lib32', '/lib64', '/libx32', '/proc', '/run', '/sbin', '/sys', '/usr',
  '/var/run', '/var/lib/dpkg',
]);

const SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9._-]*$/;

/**
 * The path as stored (a trailing slash dropped), or throws invalid_mount_path saying what is wrong.
 * Segments are plain names (letters, digits, `.`, `_`, `-`, not starting with `.` or `-`), which
 * rules out `..`, `.`, empty segments and anything a shell or Docker's mount syntax would read.
 */
export function validateMountPath(input: unknown): string {
  if (typeof input !== 'string' || input.trim() === '') {
    throw new SlipwayError('invalid_mount_path', 'Give the path to mount the volume at inside the app\'s containers, e.g. /data.');
  }
  const given = input;
  if (!given.startsWith('/')) {
    throw new SlipwayError('invalid_mount_path', `"${shown(given)}" is not an absolute path: give one starting with /, e.g. /data.`);
  }
  const path = given.length > 1 && given.endsWith('/') ? given.slice(0, -1) : given;
  if (path === '/') throw new SlipwayError('invalid_mount_path', 'A volume cannot be mounted at /: give a folder, e.g. /data.');
  if (path.length > MAX_PATH_LENGTH) {
    throw new SlipwayError('invalid_mount_path', `The path is longer than ${MAX_PATH_LENGTH} characters: give a shorter one, e.g. /data.`);
  }
  for (const segment of path.slice(1).split('/')) {
    if (!SEGMENT.test(segment)) {
      throw new SlipwayError('invalid_mount_path', `"${shown(given)}" has a part Slipway does not accept ("${shown(segment)}"): `
        + 'use folder names of letters, digits, ".", "_" and "-" (not "." or ".." and not starting with "." or "-"), e.g. /data/uploads.');
    }
  }
  const root = REFUSED_ROOTS.find((refused) => path === refused || path.startsWith(`${refused}/`));
  if (root !== undefined) {
    const why = root === '/app'
      ? '/app holds the app\'s own code, which a volume would hide (and keep stale after the next deploy)'
      : `${root} belongs to the system in the app's containers`;
    throw new SlipwayError('invalid_mount_path', `A volume cannot be mounted at ${path}: ${why}. Mount it outside, e.g. /data, and tell the app the path in a config var.`);
  }
  return path;
}

/** Whether two mount paths of one process type would nest (one covers the other). */
export function pathsOverlap(a: string, b: string): boolean {
  return a === b || a.startsWith(`${b}/`) || b.startsWith(`${a}/`);
}

const PROCESS_TYPE = /^[a-z][a-z0-9_-]{0,29}$/;

/** The process type whose instances get the volume; `web` when not given. */
export function validateProcessType(input: unknown): string {
  if (input === undefined || input === null || input === '') return 'web';
  if (typeof input !== 'string' || !PROCESS_TYPE.test(input)) {
    throw new SlipwayError('invalid_request', `"${shown(String(input))}" is not a process type: give one of the Procfile's, e.g. --type web or --type worker.`);
  }
  return input;
}

/** The largest size recorded: 16 TiB. */
const MAX_SIZE_MB = 16 * 1024 * 1024;

/**
 * `--size` in megabytes (`512m`, `1g`, `1.5g`, `2G`, `10gb`), or null when not given. Recorded and
 * shown; Docker's local volumes do not enforce it (docs/storage.md says so).
 */
export function parseVolumeSize(input: unknown): number | null {
  if (input === undefined || input === null || input === '') return null;
  const match = typeof input === 'string' ? /^(\d+(?:\.\d+)?)\s*([mg])b?$/i.exec(input.trim()) : null;
  const refusal = `"${shown(String(input))}" is not a size: give megabytes or gigabytes, e.g. --size 512m or --size 1g.`;
  if (!match) throw new SlipwayError('invalid_volume_size', refusal);
  const amount = Number(match[1]);
  const mb = Math.round(match[2]!.toLowerCase() === 'g' ? amount * 1024 : amount);
  if (!Number.isFinite(mb) || mb < 1) throw new SlipwayError('invalid_volume_size', refusal);
  if (mb > MAX_SIZE_MB) throw new SlipwayError('invalid_volume_size', `${shown(String(input))} is more than 16 TiB, the most Slipway records: give a smaller size.`);
  return mb;
}

/** `1g`, `512m`: a size as the CLI takes it. */
export function formatSizeMb(mb: number): string {
  return mb % 1024 === 0 ? `${mb / 1024}g` : `${mb}m`;
}

/** Input quoted back in an error: bounded, control characters out. */
function shown(text: string): string {
  const printable = text.replace(/[\u0000-\u001f\u007f]/g, '?');
  return printable.length > 80 ? `${printable.slice(0, 80)}…` : printable;
}
