/** Tar streams rewritten on their way into a container: relocated, re-owned, filtered. */
import { PassThrough, type Readable } from 'node:stream';
import tar from 'tar-stream';

export interface RelocateOptions {
  /** Folder the entries go under, e.g. `app` (the root entry `app/` is added). */
  prefix: string;
  uid: number;
  gid: number;
  /** Leaves out entries (and everything under a left-out folder) for which this answers true. */
  drop?: (name: string, isDir: boolean) => boolean;
}

/**
 * Streams a tar (e.g. `git archive`) under `prefix/`, owned by uid:gid, leaving out what `drop`
 * rejects. Every folder gets an entry of its own (owned likewise), so nothing is left owned by root.
 */
export function relocateTar(source: NodeJS.ReadableStream, options: RelocateOptions): Readable {
  const extract = tar.extract();
  const pack = tar.pack();
  const output = new PassThrough();
  const owner = { uid: options.uid, gid: options.gid, uname: '', gname: '' };
  const dirs = new Set<string>();
  const ensureDir = (dir: string): void => {
    if (dir === '' || dirs.has(dir)) return;
    const slash = dir.lastIndexOf('/');
    if (slash > 0) ensureDir(dir.slice(0, slash));
    dirs.add(dir);
    pack.entry({ name: `${options.prefix}/${dir}/`, type: 'directory', mode: 0o755, ...owner });
  };
  pack.entry({ name: `${options.prefix}/`, type: 'directory', mode: 0o755, ...owner });
  extract.on('entry', (header, stream, next) => {
    const name = header.name.replace(/^\.\//, '').replace(/\/+$/, '');
    const isDir = header.type === 'directory';
    const skip = (): void => {
      stream.on('end', next);
      stream.resume();
    };
    if (name === '' || (header.type as string) === 'pax-global-header' || (options.drop && options.drop(name, isDir))) return skip();
    const slash = name.lastIndexOf('/');
    if (slash > 0) ensureDir(name.slice(0, slash));
    if (isDir) {
      ensureDir(name);
      return skip();
    }
    // Without the original pax records: a long name's `path` record would undo the new prefix.
    const { pax: _pax, ...plain } = header;
    const entry = pack.entry({ ...plain, name: `${options.prefix}/${name}`, ...owner }, (error) => (error ? output.destroy(error) : next()));
    stream.pipe(entry);
  });
  extract.on('finish', () => pack.finalize());
  extract.on('error', (error) => output.destroy(error));
  source.pipe(extract);
  (pack as unknown as Readable).pipe(output);
  return output;
}
