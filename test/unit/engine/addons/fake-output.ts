/** How the fake servers write a backup where they are told to: a stream, or a new 0600 file. */
import fs from 'node:fs';
import type { BackupOutput } from '../../../../engine/addons/kinds';

export async function writeOutput(out: BackupOutput, body: string | Buffer): Promise<void> {
  if ('file' in out) {
    fs.writeFileSync(out.file, body, { flag: 'wx', mode: 0o600 });
    return;
  }
  await new Promise<void>((resolve, reject) => out.end(body, () => resolve()).once('error', reject));
}
