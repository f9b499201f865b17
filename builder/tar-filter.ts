/** Streams a tar archive through, leaving out the entries a predicate rejects. */
import { PassThrough, type Readable } from 'node:stream';
import tar from 'tar-stream';

export function filterTar(source: NodeJS.ReadableStream, keep: (name: string) => boolean): Readable {
  const extract = tar.extract();
  const pack = tar.pack();
  const output = new PassThrough();
  extract.on('entry', (header, stream, next) => {
    if (!keep(header.name)) {
      stream.on('end', next);
      stream.resume();
      return;
    }
    stream.pipe(pack.entry(header, (error) => (error ? output.destroy(error) : next())));
  });
  extract.on('finish', () => pack.finalize());
  extract.on('error', (error) => output.destroy(error));
  source.pipe(extract);
  (pack as unknown as Readable).pipe(output);
  return output;
}

/** Whether a tar entry name lies under `dir` (entries may be `dir`, `dir/` or `dir/…`). */
export function isUnder(name: string, dir: string): boolean {
  const clean = name.replace(/^\.\//, '');
  return clean === dir || clean === `${dir}/` || clean.startsWith(`${dir}/`);
}
