/** The bare git repository of each app, with Slipway's pre-receive hook installed. */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { SourceRepositories } from '../engine/apps-service';
import { runGit } from './git';

export class GitRepositories implements SourceRepositories {
  constructor(
    private readonly root: string,
    /** Absolute path of the compiled pre-receive hook (dist/builder/pre-receive.js). */
    private readonly hookScript: string,
  ) {}

  pathOf(app: string): string {
    return path.join(this.root, `${app}.git`);
  }

  async exists(app: string): Promise<boolean> {
    return fs.stat(path.join(this.pathOf(app), 'HEAD')).then(() => true, () => false);
  }

  async create(app: string): Promise<void> {
    const repo = this.pathOf(app);
    await fs.mkdir(this.root, { recursive: true });
    const result = await runGit(['init', '--bare', '--quiet', '--initial-branch=main', repo]);
    if (result.code !== 0) throw new Error(`git init failed: ${result.stderr.trim()}`);
    await this.installHook(app);
  }

  /** (Re)writes the hook; run at start-up too, so a moved installation keeps working. */
  async installHook(app: string): Promise<void> {
    const hook = path.join(this.pathOf(app), 'hooks', 'pre-receive');
    const script = `#!/bin/sh\n# Installed by Slipway: the build runs during the push.\nexec ${shellQuote(process.execPath)} ${shellQuote(this.hookScript)}\n`;
    await fs.mkdir(path.dirname(hook), { recursive: true });
    await fs.writeFile(hook, script, { mode: 0o755 });
  }

  /** Moves the repository to the app's new name (apps:rename); its hook names no app. */
  async rename(from: string, to: string): Promise<void> {
    await fs.rename(this.pathOf(from), this.pathOf(to));
  }

  async remove(app: string): Promise<void> {
    await fs.rm(this.pathOf(app), { recursive: true, force: true });
  }
}

function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}
