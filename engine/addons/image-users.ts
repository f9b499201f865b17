/**
 * The numeric uid and gid of a user of an image, read from the image's /etc/passwd through a
 * created (never started) container. The add-on containers need them for their /run tmpfs: Docker
 * gives a tmpfs over an existing folder that folder's root-owned mode, so only uid= and gid=
 * make it writable by the server's unprivileged user.
 */
import type Docker from 'dockerode';
import tar from 'tar-stream';

export interface UserIds {
  uid: number;
  gid: number;
}

export async function imageUserIds(docker: Docker, image: string, user: string): Promise<UserIds> {
  const container = await docker.createContainer({ Image: image, Cmd: ['true'], Labels: { 'slipway.addon.probe': 'true' } });
  try {
    const archive = await container.getArchive({ path: '/etc/passwd' });
    const passwd = await firstFile(archive);
    for (const line of passwd.split('\n')) {
      const [name, , uid, gid] = line.split(':');
      if (name === user && uid !== undefined && gid !== undefined) return { uid: Number(uid), gid: Number(gid) };
    }
    throw new Error(`the image ${image} has no user ${user}`);
  } finally {
    await container.remove({ force: true });
  }
}

function firstFile(archive: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve, reject) => {
    const extract = tar.extract();
    let text: string | null = null;
    extract.on('entry', (_header, stream, next) => {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: unknown) => chunks.push(chunk as Buffer));
      stream.on('end', () => { text ??= Buffer.concat(chunks).toString('utf8'); next(); });
      stream.on('error', reject);
    });
    extract.on('finish', () => (text === null ? reject(new Error('empty archive')) : resolve(text)));
    extract.on('error', reject);
    archive.pipe(extract);
  });
}
