import { expect } from 'chai';
import { CliError } from '../../../cli/cli-error';
import { parseAssignments, parseVersionArg } from '../../../cli/commands-config';
import { configTable, keyList, releaseInfo } from '../../../cli/format-config';
import type { ReleaseInfo } from '../../../cli/api-types';

function cliError(fn: () => unknown): CliError {
  try {
    fn();
  } catch (error) {
    expect(error).to.be.instanceOf(CliError);
    return error as CliError;
  }
  throw new Error('expected a CliError');
}

describe('cli config commands (pure parts)', () => {
  describe('parseAssignments (config:set KEY=value …)', () => {
    it('splits at the first "=" only, so values may contain "="', () => {
      expect(parseAssignments(['GREETING=hello', 'DATABASE_URL=postgres://u:p@h/db?sslmode=require', 'EQ=a=b=c']))
        .to.deep.equal({ GREETING: 'hello', DATABASE_URL: 'postgres://u:p@h/db?sslmode=require', EQ: 'a=b=c' });
    });

    it('accepts empty values and values with spaces or new lines', () => {
      expect(parseAssignments(['EMPTY=', 'SPACED=hello world', 'LINES=a\nb'])).to.deep.equal({ EMPTY: '', SPACED: 'hello world', LINES: 'a\nb' });
    });

    it('keeps the last value of a key given twice', () => {
      expect(parseAssignments(['A=1', 'A=2'])).to.deep.equal({ A: '2' });
    });

    it('leaves name checks to the API (which refuses a bad name whole)', () => {
      expect(parseAssignments(['1BAD=x'])).to.deep.equal({ '1BAD': 'x' });
    });

    it('refuses an argument without "=", or with nothing before it, without echoing the value', () => {
      expect(cliError(() => parseAssignments(['GREETING'])).message).to.include('GREETING=value');
      const error = cliError(() => parseAssignments(['=s3cret']));
      expect(error.message).to.include('no name before "="');
      expect(error.message).to.not.include('s3cret');
      expect(cliError(() => parseAssignments([])).message).to.include('at least one KEY=value');
    });
  });

  it('reads release versions as v3 or 3', () => {
    expect(parseVersionArg('v3')).to.equal(3);
    expect(parseVersionArg('12')).to.equal(12);
    for (const bad of ['', 'v', 'v0', 'three', '-1']) expect(cliError(() => parseVersionArg(bad)).message).to.include('is not a release version');
  });

  it('lists keys as Heroku does', () => {
    expect(keyList(['A'])).to.equal('A');
    expect(keyList(['A', 'B', 'C'])).to.equal('A, B, C');
  });

  it('prints config vars sorted by name, or says there are none', () => {
    const text = configTable('shop', { ZED: 'last', ALPHA: 'first=1' }, { color: false, now: new Date() });
    expect(text.split('\n')[0]).to.equal('=== shop Config Vars');
    expect(text.indexOf('ALPHA')).to.be.lessThan(text.indexOf('ZED'));
    expect(text).to.include('first=1');
    expect(configTable('shop', {}, { color: false, now: new Date() })).to.equal('shop has no config vars. Set one with: slipway config:set shop KEY=value');
  });

  it('shows a release with its config var names', () => {
    const info: ReleaseInfo = {
      version: 2, description: 'Set GREETING config vars', status: 'succeeded', current: true, buildId: 'b1',
      commit: 'abcdef1234567890', failureReason: null, createdAt: new Date(0).toISOString(),
      image: '127.0.0.1:5000/shop:b1', processTypes: { web: 'node server.js' }, configKeys: ['A', 'GREETING'],
    };
    const text = releaseInfo('shop', info, { color: false, now: new Date(0) });
    expect(text).to.include('=== shop release v2');
    expect(text).to.match(/Status: +succeeded \(current\)/);
    expect(text).to.match(/Config vars: +A, GREETING/);
    expect(text).to.match(/Process types: +web: node server.js/);
    expect(text).to.match(/Image: +127\.0\.0\.1:5000\/shop:b1/);
  });
});
