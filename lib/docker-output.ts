/** Reading what the Docker API hands back: a file out of a tar archive, a non-TTY exec's output. */
import tar from 'tar-stream';

/** Reads the first regular file of a tar stream (what docker's getArchive returns for one file). */
export function firstFileOfTar(stream: NodeJS.ReadableStream): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const extract = tar.extract();
    let found: string | null = null;
    extract.on('entry', (header, entry, next) => {
      const chunks: Buffer[] = [];
      entry.on('data', (c: unknown) => { chunks.push(c as Buffer); });
      entry.on('end', () => {
        if (found === null && header.type === 'file') found = Buffer.concat(chunks).toString('utf8');
        next();
      });
    });
    extract.on('finish', () => resolve(found));
    extract.on('error', reject);
    stream.pipe(extract);
  });
}

/** Docker multiplexes stdout and stderr in 8-byte-header frames when there is no TTY: their text, joined. */
export function demultiplex(buffer: Buffer): string {
  const chunks: Buffer[] = [];
  let offset = 0;
  while (offset + 8 <= buffer.length) {
    const size = buffer.readUInt32BE(offset + 4);
    chunks.push(buffer.subarray(offset + 8, offset + 8 + size));
    offset += 8 + size;
  }
  return Buffer.concat(chunks).toString('utf8');
}
