import { execFileSync } from 'node:child_process';
import { expect } from 'chai';
import { CommanderError } from 'commander';
import { commandLine, exitWith, shellQuote, windowSize } from '../../../cli/commands-run';

/** What a POSIX shell makes of a command line: the words it would pass to the program. */
function wordsOf(line: string): string[] {
  const out = execFileSync('sh', ['-c', `set -- ${line}; for w in "$@"; do printf '%s\\0' "$w"; done`]);
  return out.toString('utf8').split('\0').slice(0, -1);
}

describe('cli/commands-run argument handling', () => {
  it('takes a single argument as a command line of its own', () => {
    expect(commandLine(['rake db:migrate && echo ok'])).to.equal('rake db:migrate && echo ok');
    expect(commandLine(['bash'])).to.equal('bash');
  });

  it('quotes several arguments word by word, dropping a leading --', () => {
    expect(commandLine(['ls', '-la', '/app'])).to.equal('ls -la /app');
    expect(commandLine(['--', 'node', '-e', "process.stdout.write(process.env.GREETING||'none'); process.exit(7)"]))
      .to.equal(`node -e 'process.stdout.write(process.env.GREETING||'\\''none'\\''); process.exit(7)'`);
    expect(commandLine(['--', 'echo hi'])).to.equal('echo hi');
    expect(commandLine(['--'])).to.equal('');
    expect(commandLine([])).to.equal('');
    expect(commandLine(['echo', '--', 'x'])).to.equal('echo -- x');
  });

  it('quotes so that a shell gives every argument back unchanged', () => {
    const args = ['printf', "it's", 'two words', '$HOME', '`id`', 'a"b', 'back\\slash', '*', '', 'new\nline', 'ünï', '--flag=1', ';', '|', '&&'];
    expect(wordsOf(args.slice(1).map(shellQuote).join(' '))).to.deep.equal(args.slice(1));
    expect(wordsOf(commandLine(args).replace(/^printf /, ''))).to.deep.equal(args.slice(1));
  });

  it('leaves safe words alone and quotes everything else', () => {
    expect(shellQuote('a-b_c.d/e:f,g@h%i+j=k')).to.equal('a-b_c.d/e:f,g@h%i+j=k');
    expect(shellQuote('')).to.equal("''");
    expect(shellQuote('a b')).to.equal("'a b'");
    expect(shellQuote("'")).to.equal("''\\'''");
  });

  it('takes the window size from stdout, else stderr, when they are terminals', () => {
    const env = {};
    expect(windowSize({ stdout: { isTTY: true, columns: 120, rows: 40 } as never, stderr: {} as never, env })).to.deep.equal({ cols: 120, rows: 40 });
    expect(windowSize({ stdout: {} as never, stderr: { isTTY: true, columns: 90, rows: 20 } as never, env })).to.deep.equal({ cols: 90, rows: 20 });
    expect(windowSize({ stdout: {} as never, stderr: {} as never, env })).to.equal(null);
  });

  it('exits with the remote code through a CommanderError, which cli/main returns as is', () => {
    const error = exitWith(7);
    expect(error).to.be.instanceOf(CommanderError);
    expect(error.exitCode).to.equal(7);
    expect(error.message).to.equal('');
  });
});
