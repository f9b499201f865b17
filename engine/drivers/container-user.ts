/**
 * Which user an app container runs as (docs/security.md, "Threat model"). As on Heroku, no app
 * process runs as root: buildpack images already run as the app user (uid 1000, see
 * builder/buildpack-builder.ts), and a Dockerfile image whose USER is unset or root runs as uid 1000
 * (gid 1000) instead. A Dockerfile image with a non-root USER keeps it. A named USER is looked up in
 * the image's /etc/passwd, so a name that maps to uid 0 (`toor:x:0:0`) is not root either.
 */
import { firstFileOfTar } from '../../lib/docker-output';
import type Docker from 'dockerode';

/** uid:gid apps run as when their image would run as root. Same as builds' (APP_USER_SPEC). */
export const UNPRIVILEGED_USER = '1000:1000';

/** Whether deciding about `imageUser` needs the image's /etc/passwd (a name other than root). */
export function needsPasswd(imageUser: string): boolean {
  const name = imageUser.trim().split(':')[0] ?? '';
  return name !== '' && name !== 'root' && !/^\d+$/.test(name);
}

/**
 * The `User` to create the container with, given the image's USER (`Config.User`) and, for a named
 * user, the image's /etc/passwd (null when it could not be read). Pure.
 */
export function runAsUser(imageUser: string, passwd: string | null): string {
  const [name = '', group] = imageUser.trim().split(':');
  if (name === '' || name === 'root' || isRootUid(name)) return UNPRIVILEGED_USER;
  if (!/^\d+$/.test(name)) {
    const uid = passwd === null ? null : uidOf(name, passwd);
    // Unknown to us: 1000 rather than a guess (Docker would refuse a name missing from /etc/passwd).
    if (uid === null || uid === 0) return UNPRIVILEGED_USER;
  }
  // Group root gives root-group files: keep the user, not that group.
  if (group !== undefined && (group === 'root' || isRootUid(group))) return `${name}:1000`;
  return imageUser.trim();
}

function isRootUid(value: string): boolean {
  return /^\d+$/.test(value) && Number(value) === 0;
}

function uidOf(name: string, passwd: string): number | null {
  for (const line of passwd.split('\n')) {
    const fields = line.split(':');
    if (fields[0] === name && fields.length >= 3 && /^\d+$/.test(fields[2] ?? '')) return Number(fields[2]);
  }
  return null;
}

/** Decides the user per image, reading /etc/passwd from the image only for named users, once per image id. */
export class ContainerUsers {
  private readonly decided = new Map<string, Promise<string>>();

  constructor(private readonly docker: Docker) {}

  /** The user for containers of `image`; UNPRIVILEGED_USER when the image cannot be inspected (createContainer then reports why). */
  async userFor(image: string): Promise<string> {
    let info: Docker.ImageInspectInfo;
    try {
      info = await this.docker.getImage(image).inspect();
    } catch (error) {
      if (isStatus(error, 404)) return UNPRIVILEGED_USER;
      throw error;
    }
    const imageUser = info.Config?.User ?? '';
    if (!needsPasswd(imageUser)) return runAsUser(imageUser, null);
    let decision = this.decided.get(info.Id);
    if (!decision) {
      decision = this.readPasswd(info.Id).then((passwd) => runAsUser(imageUser, passwd));
      this.decided.set(info.Id, decision);
      decision.catch(() => this.decided.delete(info.Id));
    }
    return decision;
  }

  /** /etc/passwd of an image, from a container that is created but never started. */
  private async readPasswd(imageId: string): Promise<string | null> {
    const container = await this.docker.createContainer({ Image: imageId, Cmd: ['true'], Entrypoint: [], NetworkDisabled: true, HostConfig: { NetworkMode: 'none' } });
    try {
      const stream = await container.getArchive({ path: '/etc/passwd' }).catch((error: unknown) => {
        if (isStatus(error, 404)) return null;
        throw error;
      });
      return stream ? await firstFileOfTar(stream) : null;
    } finally {
      await container.remove({ force: true }).catch(() => undefined);
    }
  }
}


function isStatus(error: unknown, status: number): boolean {
  return typeof error === 'object' && error !== null && (error as { statusCode?: number }).statusCode === status;
}
