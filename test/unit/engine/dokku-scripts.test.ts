import { expect } from 'chai';
import { lineWriter, postdeployTasks, predeployTasks, runPostdeploy, runPredeploy, type TaskRunner } from '../../../engine/dokku-scripts';
import { SlipwayError } from '../../../lib/errors';

/** A runner whose commands print and exit as the table says; records what ran. */
function runner(table: Record<string, { out?: string[]; code?: number }>): TaskRunner & { ran: string[] } {
  const ran: string[] = [];
  const run = (async (command: string, output: (text: string) => void) => {
    ran.push(command);
    for (const chunk of table[command]?.out ?? []) output(chunk);
    return table[command]?.code ?? 0;
  }) as TaskRunner & { ran: string[] };
  run.ran = ran;
  return run;
}

describe('engine/dokku-scripts', () => {
  describe('planning', () => {
    it('runs Dokku\'s predeploy before the release goes live', () => {
      expect(predeployTasks({ dokkuPredeploy: 'touch /app/x', postdeploy: 'seed' })).to.deep.equal([{
        what: 'Dokku predeploy script', command: 'touch /app/x', note: 'run like a release command: unlike Dokku, files it changes are not kept in the image',
      }]);
      expect(predeployTasks({})).to.deep.equal([]);
    });

    it('runs Heroku\'s postdeploy on the first deploy only, Dokku\'s on every deploy, Heroku\'s first', () => {
      const scripts = { postdeploy: 'seed', dokkuPostdeploy: 'notify' };
      expect(postdeployTasks(scripts, true)).to.deep.equal([
        { what: 'postdeploy script', command: 'seed' }, { what: 'Dokku postdeploy script', command: 'notify' },
      ]);
      expect(postdeployTasks(scripts, false)).to.deep.equal([{ what: 'Dokku postdeploy script', command: 'notify' }]);
      expect(postdeployTasks({}, true)).to.deep.equal([]);
    });
  });

  describe('runPredeploy', () => {
    it('streams the script\'s output as lines and goes on when it exits 0', async () => {
      const run = runner({ migrate: { out: ['migr', 'ating\ndone\n', 'no newline'] } });
      const lines: string[] = [];
      await runPredeploy(predeployTasks({ dokkuPredeploy: 'migrate' }), run, (l) => lines.push(l), 4);
      expect(lines).to.deep.equal([
        'Running Dokku predeploy script: migrate',
        '  (run like a release command: unlike Dokku, files it changes are not kept in the image)',
        '  migrating', '  done', '  no newline',
      ]);
      expect(run.ran).to.deep.equal(['migrate']);
    });

    it('stops the deploy with deploy_failed when the script exits non-zero', async () => {
      const error = await runPredeploy(predeployTasks({ dokkuPredeploy: 'migrate' }), runner({ migrate: { code: 2 } }), () => undefined, 7)
        .catch((e: unknown) => e);
      expect(error).to.be.instanceOf(SlipwayError);
      expect((error as SlipwayError).code).to.equal('deploy_failed');
      expect((error as Error).message).to.equal('the Dokku predeploy script (migrate) exited with code 2, so v7 was not deployed');
    });
  });

  describe('runPostdeploy', () => {
    it('runs every task even when one fails, saying the release stays live', async () => {
      const run = runner({ seed: { out: ['seeded\n'], code: 1 }, notify: { out: ['sent\n'] } });
      const said: string[] = [];
      await runPostdeploy(postdeployTasks({ postdeploy: 'seed', dokkuPostdeploy: 'notify' }, true), run, (l) => said.push(l));
      expect(said).to.deep.equal([
        '-----> Running postdeploy script: seed',
        '       seeded',
        ' !     The postdeploy script exited with code 1; the release stays live.',
        '-----> Running Dokku postdeploy script: notify',
        '       sent',
      ]);
      expect(run.ran).to.deep.equal(['seed', 'notify']);
    });
  });

  it('runPostdeploy goes on, and says the release stays live, when a script cannot be started at all', async () => {
    const said: string[] = [];
    const run: TaskRunner = async (command) => {
      if (command === 'seed') throw new Error('no such image');
      return 0;
    };
    await runPostdeploy(postdeployTasks({ postdeploy: 'seed', dokkuPostdeploy: 'notify' }, true), run, (l) => said.push(l));
    expect(said).to.deep.equal([
      '-----> Running postdeploy script: seed',
      ' !     The postdeploy script could not run (no such image); the release stays live.',
      '-----> Running Dokku postdeploy script: notify',
    ]);
  });

  it('lineWriter keeps a partial line until its end arrives', () => {
    const lines: string[] = [];
    const out = lineWriter((l) => lines.push(l), '> ');
    out.write('a');
    out.write('b\nc');
    expect(lines).to.deep.equal(['> ab']);
    out.flush();
    expect(lines).to.deep.equal(['> ab', '> c']);
  });
});
