/** Small helpers over dockerode streams. */
import type Docker from 'dockerode';
import { Writable, type Readable } from 'node:stream';
import tar from 'tar-stream';

/** A writable that hands every chunk to `write` as text. */
export function textSink(write: (text: string) => void): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, callback) {
      write(chunk.toString('utf8'));
      callback();
    },
  });
}

/** Follows a build or push progress stream; rejects with the daemon's error message. */
export function followProgress(docker: Docker, stream: NodeJS.ReadableStream, onEvent: (event: Record<string, unknown>) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    docker.modem.followProgress(stream, (error: Error | null) => (error ? reject(error) : resolve()), (event: Record<string, unknown>) => {
      onEvent(event);
    });
  });
}

/** Who owns the files of a tar once unpacked in a container (uid and gid). */
export interface TarOwner {
  uid: number;
  gid: number;
}

/** A tar holding `dir/NAME` = value for each entry (ENV_DIR of the buildpack API), owned by `owner` (default root). */
export function filesTar(dir: string, files: Readonly<Record<string, string>>, owner: TarOwner = { uid: 0, gid: 0 }): Readable {
  const pack = tar.pack();
  pack.entry({ name: `${dir}/`, type: 'directory', mode: 0o755, ...owner });
  for (const [name, value] of Object.entries(files)) pack.entry({ name: `${dir}/${name}`, mode: 0o600, ...owner }, value);
  pack.finalize();
  return pack as unknown as Readable;
}

export { firstFileOfTar } from '../lib/docker-output';
