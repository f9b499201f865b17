/**
 * `config:edit`: the config vars as a `KEY=value` file in $VISUAL or $EDITOR, then one change with
 * what was edited. A value that would not survive a plain line (a newline, leading or trailing
 * spaces, a starting quote) is written as a JSON string, and read back the same way.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CliError } from './cli-error';
import type { CommandContext } from './commands';
import * as format from './format';
import { keyList } from './format-config';

const HEADER = [
  '# Config vars, one KEY=value per line. Delete a line to unset the var; lines starting with # are ignored.',
  '# A value in double quotes is read as a JSON string (\\n for a newline).',
];

function needsQuoting(value: string): boolean {
  return /[\n\r]/.test(value) || value !== value.trim() || value.startsWith('"');
}

export function configFileText(config: Readonly<Record<string, string>>): string {
  const lines = Object.keys(config).sort().map((key) => {
    const value = config[key]!;
    return `${key}=${needsQuoting(value) ? JSON.stringify(value) : value}`;
  });
  return `${[...HEADER, ...lines].join('\n')}\n`;
}

export function parseConfigFile(text: string): Record<string, string> {
  const config = new Map<string, string>();
  text.split(/\r?\n/).forEach((line, index) => {
    if (line.trim() === '' || line.trimStart().startsWith('#')) return;
    const at = line.indexOf('=');
    if (at <= 0) throw new CliError(`Line ${index + 1} of the edited config is not KEY=value: nothing was changed.`);
    const key = line.slice(0, at).trim();
    let value = line.slice(at + 1);
    if (value.startsWith('"')) {
      try {
        value = JSON.parse(value) as string;
      } catch {
        throw new CliError(`Line ${index + 1} (${key}) starts with a quote but is not a JSON string: nothing was changed.`);
      }
    }
    config.set(key, value);
  });
  return Object.fromEntries(config);
}

/** What to send: new and changed vars with their value, removed ones as null. */
export function configDiff(before: Readonly<Record<string, string>>, after: Readonly<Record<string, string>>): Record<string, string | null> {
  const changes: Record<string, string | null> = {};
  for (const [key, value] of Object.entries(after)) if (before[key] !== value) changes[key] = value;
  for (const key of Object.keys(before)) if (!Object.hasOwn(after, key)) changes[key] = null;
  return changes;
}

/** $VISUAL, else $EDITOR, else vi; split on spaces (`code --wait`), run without a shell. */
export function editorCommand(env: format.Env): string[] {
  const editor = (env.VISUAL || env.EDITOR || 'vi').trim();
  return editor.split(/\s+/);
}

function runEditor(command: string[], file: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command[0]!, [...command.slice(1), file], { stdio: 'inherit' });
    child.once('error', (error) => reject(new CliError(`Could not start the editor ${command[0]} (${error.message}): set EDITOR to your editor.`)));
    child.once('exit', (code, signal) => {
      if (code === 0) resolve();
      else reject(new CliError(`The editor ${command[0]} exited with ${signal ?? `code ${code}`}: nothing was changed.`));
    });
  });
}

export async function configEdit(ctx: CommandContext, app: string, editor: string[]): Promise<void> {
  const client = ctx.client();
  const before = await client.getConfig(app);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-config-'));
  const file = path.join(dir, `${app}.env`);
  try {
    fs.writeFileSync(file, configFileText(before), { mode: 0o600 });
    await runEditor(editor, file);
    const changes = configDiff(before, parseConfigFile(fs.readFileSync(file, 'utf8')));
    const keys = Object.keys(changes);
    if (keys.length === 0) {
      ctx.out(`No changes to the config vars of ${app}.`);
      return;
    }
    await client.updateConfig(app, changes);
    const c = format.colors(ctx.color);
    const { currentRelease } = await client.getApp(app);
    const where = currentRelease === null ? ' (not deployed yet: its first build gets this config)' : `, ${format.versionLabel(currentRelease)}`;
    ctx.out(`Updating ${keyList(keys)} and restarting ${c.bold(app)}... ${c.green('done')}${where}`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
