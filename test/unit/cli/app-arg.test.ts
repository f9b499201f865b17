import { expect } from 'chai';
import { Command } from 'commander';
import { ARG_SHAPES, NO_APP_MESSAGE, appFromRemoteUrl, markAppCommands, placeAppInArgv, type AppSource } from '../../../cli/app-arg';

/** A program shaped like the CLI's: the app first, then each command's own arguments and options. */
function program(): Command {
  const p = new Command();
  p.enablePositionalOptions();
  p.command('ps').argument('[app]');
  p.command('ps:restart').argument('[app]').argument('[type]');
  p.command('ps:resize').argument('[app]').argument('<type>').option('--memory <size>').option('--cpu <cores>');
  p.command('config:get').argument('[app]').argument('<key>');
  p.command('config:set').argument('[app]').argument('<pairs...>');
  p.command('config:unset').argument('[app]').argument('<keys...>');
  p.command('rollback').argument('[app]').argument('[version]');
  p.command('git:remote').argument('[app]').option('-r, --remote <remote>', 'the remote to set', 'slipway');
  p.command('run').argument('[app]').argument('<command...>').option('-d, --detach').passThroughOptions();
  p.command('apps:create').argument('[name]');
  markAppCommands(p);
  return p;
}

function source(app: string | null, calls: (string | undefined)[] = []): AppSource {
  return { inferApp: (remote) => { calls.push(remote); return Promise.resolve(app); } };
}

async function placed(args: string[], inferred: string | null = null, calls: (string | undefined)[] = []): Promise<string[]> {
  return (await placeAppInArgv(program(), ['node', 'slipway', ...args], source(inferred, calls))).slice(2);
}

describe('cli/app-arg: which app a command is for', () => {
  it('takes -a APP, --app APP, --app=APP and -aAPP, anywhere among the options, without asking git', async () => {
    const calls: (string | undefined)[] = [];
    expect(await placed(['ps', '-a', 'shop'], 'other', calls)).to.deep.equal(['ps', 'shop']);
    expect(await placed(['config:get', 'GREETING', '--app', 'shop'], 'other', calls)).to.deep.equal(['config:get', 'shop', 'GREETING']);
    expect(await placed(['ps:resize', '--memory', '1g', 'web', '--app=shop'])).to.deep.equal(['ps:resize', '--memory', '1g', 'shop', 'web']);
    expect(await placed(['config:set', '-ashop', 'A=1', 'B=2'])).to.deep.equal(['config:set', 'shop', 'A=1', 'B=2']);
    expect(calls).to.deep.equal([]);
  });

  it('infers the app from the git remote when the arguments do not name it', async () => {
    expect(await placed(['ps'], 'shop')).to.deep.equal(['ps', 'shop']);
    expect(await placed(['config:get', 'GREETING'], 'shop')).to.deep.equal(['config:get', 'shop', 'GREETING']);
    expect(await placed(['config:set', 'A=1'], 'shop')).to.deep.equal(['config:set', 'shop', 'A=1']);
    expect(await placed(['rollback', 'v3'], 'shop')).to.deep.equal(['rollback', 'shop', 'v3']);
    expect(await placed(['ps:restart', 'web'], 'shop')).to.deep.equal(['ps:restart', 'shop', 'web']);
  });

  it('keeps the app given as the first argument (the form scripts already use), inside a repository or not', async () => {
    for (const inferred of [null, 'shop']) {
      expect(await placed(['ps', 'shop'], inferred)).to.deep.equal(['ps', 'shop']);
      expect(await placed(['config:get', 'shop', 'GREETING'], inferred)).to.deep.equal(['config:get', 'shop', 'GREETING']);
      expect(await placed(['config:set', 'shop', 'A=1'], inferred)).to.deep.equal(['config:set', 'shop', 'A=1']);
      expect(await placed(['config:unset', 'shop', 'GREETING'], inferred)).to.deep.equal(['config:unset', 'shop', 'GREETING']);
      expect(await placed(['rollback', 'shop'], inferred)).to.deep.equal(['rollback', 'shop']);
      expect(await placed(['ps:restart', 'shop'], inferred)).to.deep.equal(['ps:restart', 'shop']);
      expect(await placed(['run', 'shop', 'bash'], inferred)).to.deep.equal(['run', 'shop', 'bash']);
    }
  });

  it('reads the -r REMOTE option as the remote to infer from, except where the command has its own -r', async () => {
    const calls: (string | undefined)[] = [];
    expect(await placed(['ps', '-r', 'staging'], 'shop-staging', calls)).to.deep.equal(['ps', 'shop-staging']);
    expect(calls).to.deep.equal(['staging']);
    expect(await placed(['git:remote', 'shop', '-r', 'prod'], null)).to.deep.equal(['git:remote', 'shop', '-r', 'prod']);
  });

  it('puts the app before the command of run, leaving the command\'s own options to it', async () => {
    expect(await placed(['run', '-a', 'shop', 'ls', '-a'])).to.deep.equal(['run', 'shop', 'ls', '-a']);
    expect(await placed(['run', '--detach', 'ls', '-la'], 'shop')).to.deep.equal(['run', '--detach', 'shop', 'ls', '-la']);
    expect(await placed(['run', '-a', 'shop', '--', 'node', '-e', '1'])).to.deep.equal(['run', 'shop', '--', 'node', '-e', '1']);
  });

  it('says how to give the app when nothing names one', async () => {
    try {
      await placed(['config:get', 'GREETING'], null);
      expect.fail('expected an error');
    } catch (error) {
      expect((error as Error).message).to.equal(NO_APP_MESSAGE);
    }
  });

  it('leaves other commands, and help requests, as they are', async () => {
    expect(await placed(['apps:create'], 'shop')).to.deep.equal(['apps:create']);
    expect(await placed(['ps', '--help'], null)).to.deep.equal(['ps', '--help']);
    expect(await placed(['--version'], null)).to.deep.equal(['--version']);
  });

  it('reads the app name from the URL of a remote', () => {
    expect(appFromRemoteUrl('ssh://git@paas.example.com:2222/shop.git')).to.equal('shop');
    expect(appFromRemoteUrl('git@paas.example.com:my-app.git')).to.equal('my-app');
    expect(appFromRemoteUrl('ssh://git@[::1]:2222/a1')).to.equal('a1');
    expect(appFromRemoteUrl('/srv/repos/NotAnApp.git')).to.equal(null);
  });

  it('tells arguments from app names by their form where it can', () => {
    expect(ARG_SHAPES['config:set']!('A=1')).to.equal('arg');
    expect(ARG_SHAPES['config:unset']!('my-app')).to.equal('app');
    expect(ARG_SHAPES['config:unset']!('lower')).to.equal('unknown');
    expect(ARG_SHAPES.rollback!('V12')).to.equal('arg');
    expect(ARG_SHAPES['certs:remove']!('www.example.com')).to.equal('arg');
  });
});
