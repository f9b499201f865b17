import type { Readable } from 'node:stream';
import { expect } from 'chai';
import tar from 'tar-stream';
import { filesTar, firstFileOfTar, textSink } from '../../../builder/docker-streams';

interface Entry { name: string; type: string; mode: number; content: string }

function readTar(stream: Readable): Promise<Entry[]> {
  return new Promise((resolve, reject) => {
    const entries: Entry[] = [];
    const extract = tar.extract();
    extract.on('entry', (header, entry, next) => {
      const chunks: Buffer[] = [];
      entry.on('data', (c: unknown) => { chunks.push(c as Buffer); });
      entry.on('end', () => {
        entries.push({ name: header.name, type: String(header.type), mode: header.mode ?? 0, content: Buffer.concat(chunks).toString('utf8') });
        next();
      });
    });
    extract.on('finish', () => resolve(entries));
    extract.on('error', reject);
    stream.pipe(extract);
  });
}

describe('builder/docker-streams', () => {
  it('textSink hands every written chunk on as text', async () => {
    const seen: string[] = [];
    const sink = textSink((text) => seen.push(text));
    await new Promise<void>((resolve, reject) => {
      sink.write(Buffer.from('Step 1/2 : FROM x\n'));
      sink.write(Buffer.from('héllo\n', 'utf8'));
      sink.end(() => resolve());
      sink.on('error', reject);
    });
    expect(seen.join('')).to.equal('Step 1/2 : FROM x\nhéllo\n');
  });

  it('filesTar puts each config var in a private file of the env dir (buildpack ENV_DIR)', async () => {
    const entries = await readTar(filesTar('env', { DATABASE_URL: 'postgres://u:p@db/x', NODE_ENV: 'production' }));
    expect(entries).to.deep.equal([
      { name: 'env/', type: 'directory', mode: 0o755, content: '' },
      { name: 'env/DATABASE_URL', type: 'file', mode: 0o600, content: 'postgres://u:p@db/x' },
      { name: 'env/NODE_ENV', type: 'file', mode: 0o600, content: 'production' },
    ]);
  });

  it('firstFileOfTar reads the first regular file, skipping directories', async () => {
    expect(await firstFileOfTar(filesTar('out', { 'release.yml': 'default_process_types:\n  web: npm start\n', other: 'x' })))
      .to.equal('default_process_types:\n  web: npm start\n');
  });

  it('firstFileOfTar gives null for a tar without files', async () => {
    expect(await firstFileOfTar(filesTar('empty', {}))).to.equal(null);
  });
});
