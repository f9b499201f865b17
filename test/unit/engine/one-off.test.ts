import { expect } from 'chai';
import {
  LAUNCHER, ONE_OFF_PROGRAM, WAIT_FOR_TTY_SIZE, isOneOffId, newOneOffId, oneOffContainerName, oneOffEntrypoint, oneOffEnv,
  oneOffInstanceId, parseRunRequest, parseSshRun, RunRequestError, terminalSize,
} from '../../../engine/one-off';

describe('engine/one-off pure helpers', () => {
  describe('parseRunRequest (POST /apps/:app/dynos)', () => {
    it('attaches by default, with a TTY and its size only when asked', () => {
      expect(parseRunRequest({ command: 'bash' })).to.deep.equal({ command: 'bash', addon: null, attach: true, tty: false, size: null, term: null });
      expect(parseRunRequest({ command: 'bash', attach: true, tty: true, cols: 120, rows: 40, term: 'xterm-256color' }))
        .to.deep.equal({ command: 'bash', addon: null, attach: true, tty: true, size: { cols: 120, rows: 40 }, term: 'xterm-256color' });
      expect(parseRunRequest({ command: 'bash', tty: true })).to.include({ tty: true, size: null, term: 'xterm' });
      expect(parseRunRequest({ command: 'bash', tty: true, cols: 0, rows: 40 }).size).to.equal(null);
    });

    it('detaches without a TTY', () => {
      expect(parseRunRequest({ command: 'npm run migrate', detach: true, tty: true, cols: 80, rows: 24 }))
        .to.deep.equal({ command: 'npm run migrate', addon: null, attach: false, tty: false, size: null, term: null });
      expect(parseRunRequest({ command: 'x', attach: false, detach: true }).attach).to.equal(false);
    });

    it('takes an add-on instead of a command (addons:connect), attached only', () => {
      expect(parseRunRequest({ addon: 'postgresql-calm-41126', tty: true, cols: 100, rows: 30 }))
        .to.deep.include({ addon: 'postgresql-calm-41126', attach: true, tty: true, size: { cols: 100, rows: 30 } });
      for (const [body, message] of [
        [{ addon: 'postgresql-calm-41126', detach: true }, /attached only/],
        [{ addon: 'postgresql-calm-41126', command: 'bash' }, /either "command" or "addon"/],
        [{ addon: '../etc' }, /an add-on's name/],
        [{ addon: 7 }, /an add-on's name/],
      ] as const) {
        expect(() => parseRunRequest(body), JSON.stringify(body)).to.throw(RunRequestError, message);
      }
    });

    it('refuses bodies it cannot run, with a readable message', () => {
      const refused: Array<[unknown, RegExp]> = [
        [null, /Send the command/],
        [[], /Send the command/],
        [{}, /Give a command/],
        [{ command: '   ' }, /Give a command/],
        [{ command: 42 }, /Give a command/],
        [{ command: 'a\0b' }, /NUL/],
        [{ command: 'x'.repeat(64 * 1024 + 1) }, /too long/],
        [{ command: 'ls', tty: 'yes' }, /"tty" must be true or false/],
        [{ command: 'ls', attach: true, detach: true }, /either attached/],
        [{ command: 'ls', attach: false }, /either attached/],
        [{ command: 'ls', tty: true, term: 'x; rm -rf /' }, /"term"/],
      ];
      for (const [body, message] of refused) {
        expect(() => parseRunRequest(body), JSON.stringify(body)?.slice(0, 40)).to.throw(RunRequestError, message);
      }
    });
  });

  describe('parseSshRun (ssh git@host run APP CMD…)', () => {
    it('splits the app from the command line, which stays as typed', () => {
      expect(parseSshRun('run shop echo hello')).to.deep.equal({ app: 'shop', command: 'echo hello' });
      expect(parseSshRun("run shop echo \"$GREETING\" >&2; exit 4")).to.deep.equal({ app: 'shop', command: 'echo "$GREETING" >&2; exit 4' });
      expect(parseSshRun('  run   shop   bash  ')).to.deep.equal({ app: 'shop', command: 'bash' });
      expect(parseSshRun('run shop printf "a\nb"')).to.deep.equal({ app: 'shop', command: 'printf "a\nb"' });
    });

    it('explains a run without an app or a command', () => {
      expect(parseSshRun('run')).to.deep.equal({ problem: 'Usage: ssh git@<host> run APP COMMAND…' });
      expect(parseSshRun('run  ')).to.deep.equal({ problem: 'Usage: ssh git@<host> run APP COMMAND…' });
      expect(parseSshRun('run shop')).to.deep.equal({ problem: 'Give a command to run, e.g. ssh git@<host> run shop bash' });
    });

    it('leaves every other command to the git allow-list', () => {
      for (const command of ["git-receive-pack 'shop.git'", 'runner shop ls', 'bash', '', 'ls run shop x', 'xrun shop ls']) {
        expect(parseSshRun(command), command).to.equal(null);
      }
    });
  });

  it('names one-offs run.<digits>, their instances <app>.run.<n> and their containers slipway-<app>.run.<n>', () => {
    expect(newOneOffId(() => 4821)).to.equal('run.4821');
    expect(newOneOffId()).to.match(/^run\.\d{4,5}$/);
    expect(isOneOffId('run.4821')).to.equal(true);
    for (const bad of ['web.1', 'run.', 'run.12a', '../run.1', 'run.1/x']) expect(isOneOffId(bad), bad).to.equal(false);
    expect(oneOffInstanceId('shop', 'run.4821')).to.equal('shop.run.4821');
    expect(oneOffContainerName('shop', 'run.4821')).to.equal('slipway-shop.run.4821');
  });

  it('gives the release config, then PORT, SLIPWAY_RELEASE and DYNO, and TERM with a TTY', () => {
    expect(oneOffEnv({ GREETING: 'hi', PORT: '1' }, 3, 'run.7', 5000, null))
      .to.deep.equal({ GREETING: 'hi', PORT: '5000', SLIPWAY_RELEASE: 'v3', DYNO: 'run.7' });
    expect(oneOffEnv({}, 1, 'run.7', 5000, 'xterm').TERM).to.equal('xterm');
  });

  it('starts through sh: the launcher for slug images in /app, else bash, else sh; the command is one argument', () => {
    const { entrypoint, cmd } = oneOffEntrypoint('echo "$HOME" && ls');
    expect(entrypoint).to.deep.equal(['/bin/sh', '-c', ONE_OFF_PROGRAM, 'slipway-run']);
    expect(cmd).to.deep.equal(['echo "$HOME" && ls']);
    expect(ONE_OFF_PROGRAM).to.include(`exec ${LAUNCHER} "$1"`);
    expect(ONE_OFF_PROGRAM.indexOf(LAUNCHER)).to.be.below(ONE_OFF_PROGRAM.indexOf('bash -c'));
    expect(ONE_OFF_PROGRAM.indexOf('bash -c')).to.be.below(ONE_OFF_PROGRAM.indexOf('sh -c "$1"', ONE_OFF_PROGRAM.indexOf('bash -c') + 8));
    expect(oneOffEntrypoint('x', true).entrypoint[2]).to.equal(`${WAIT_FOR_TTY_SIZE}\n${ONE_OFF_PROGRAM}`);
  });

  it('accepts only sensible terminal sizes', () => {
    expect(terminalSize(80, 24)).to.deep.equal({ cols: 80, rows: 24 });
    expect(terminalSize(80, undefined)).to.equal(null);
    expect(terminalSize(-1, 24)).to.equal(null);
    expect(terminalSize('80', 24)).to.equal(null);
  });
});
