import { Readable } from 'node:stream';
import { expect } from 'chai';
import { hidingPath } from '../../../builder/ssh-server';

async function through(chunks: string[], path: string, shown: string): Promise<string> {
  let out = '';
  const stream = Readable.from(chunks.map((c) => Buffer.from(c))).pipe(hidingPath(path, shown));
  for await (const chunk of stream) out += String(chunk);
  return out;
}

describe('builder/ssh-server hidingPath (git messages to the client)', () => {
  const repo = '/var/lib/slipway/repos/shop.git';

  it('names the app instead of the repository path, even when the path is split across chunks', async () => {
    const text = await through([`fatal: '/var/lib/slip`, `way/repos/shop.git' does not appear to be a git repository\n`], repo, 'shop.git');
    expect(text).to.equal(`fatal: 'shop.git' does not appear to be a git repository\n`);
  });

  it('passes other text through whole, the last line too when it has no newline', async () => {
    const text = await through(['remote: -----> Launching...\r', 'remote: done\nTo host:shop.git\n', ' ! [remote rejected] main'], repo, 'shop.git');
    expect(text).to.equal('remote: -----> Launching...\rremote: done\nTo host:shop.git\n ! [remote rejected] main');
  });
});
