/** Pushes a built image to the registry and returns its digest (the image's immutable name). */
import type Docker from 'dockerode';
import { followProgress } from './docker-streams';

export async function pushImage(docker: Docker, reference: string): Promise<string> {
  const stream = (await docker.getImage(reference).push({ authconfig: {} } as never)) as unknown as NodeJS.ReadableStream;
  let digest: string | null = null;
  let failure: string | null = null;
  await followProgress(docker, stream, (event) => {
    const aux = event.aux as { Digest?: string } | undefined;
    if (aux?.Digest) digest = aux.Digest;
    if (typeof event.error === 'string') failure = event.error;
  });
  if (failure) throw new Error(`pushing ${reference} to the registry failed: ${failure}`);
  if (!digest) throw new Error(`the registry did not return a digest for ${reference}`);
  return digest;
}
