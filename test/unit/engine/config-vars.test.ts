import { expect } from 'chai';
import { SlipwayError } from '../../../lib/errors';
import {
  CONFIG_SIZE_LIMIT_BYTES, applyConfigChanges, assertConfigKeys, assertConfigSize, configSize, configChangeDescription, configKeys, isValidConfigKey, parseConfigChanges,
  parseVersion, previousGoodRelease, rollbackDescription, rollbackRefusal, sameConfig,
} from '../../../engine/config-vars';
import type { Release } from '../../../engine/model';

function release(version: number, overrides: Partial<Release> = {}): Release {
  return {
    id: version, appId: 1, version, buildId: `b-${version}`, config: {}, description: `Deploy ${version}`,
    status: 'succeeded', failureReason: null, createdAt: new Date(0), ...overrides,
  };
}

function refused(fn: () => unknown): SlipwayError {
  try {
    fn();
  } catch (error) {
    expect(error).to.be.instanceOf(SlipwayError);
    return error as SlipwayError;
  }
  throw new Error('expected an error');
}

describe('engine/config-vars', () => {
  describe('config var names', () => {
    it('accepts environment variable names', () => {
      for (const key of ['GREETING', 'a', '_', '_PRIVATE', 'DATABASE_URL', 'x1', 'Mixed_Case_9', '__proto__']) {
        expect(isValidConfigKey(key), key).to.equal(true);
      }
    });

    it('refuses names that are empty, start with a digit or hold other characters', () => {
      for (const key of ['', '1BAD', '9', 'WITH-DASH', 'WITH SPACE', 'DOT.TED', 'A=B', 'ÉTÉ', 'TAB\t', 'NEW\nLINE']) {
        expect(isValidConfigKey(key), JSON.stringify(key)).to.equal(false);
      }
    });

    it('names every invalid key in one error, says nothing was changed, and never quotes a value', () => {
      const error = refused(() => assertConfigKeys(['GOOD', '1BAD', 'ALSO-BAD']));
      expect(error.code).to.equal('invalid_request');
      expect(error.message).to.include('"1BAD", "ALSO-BAD"');
      expect(error.message).to.include('Nothing was changed');
      expect(error.message).to.not.include('"GOOD"');
    });
  });

  describe('values every process can receive', () => {
    it('refuses a value with a NUL byte, naming the key and not the value', () => {
      const error = refused(() => parseConfigChanges({ OK: 'fine', TOKEN: 'sec\0ret' }));
      expect(error.code).to.equal('invalid_config_value');
      expect(error.status).to.equal(422);
      expect(error.message).to.include('TOKEN').and.include('NUL').and.include('Nothing was changed');
      expect(error.message).to.not.include('sec');
    });

    it('refuses setting PORT, DYNO and SLIPWAY_RELEASE, saying that the platform sets them, but lets them be unset', () => {
      for (const key of ['PORT', 'DYNO', 'SLIPWAY_RELEASE']) {
        const error = refused(() => parseConfigChanges({ [key]: '8080' }));
        expect(error.code, key).to.equal('invalid_config_value');
        expect(error.message, key).to.include(`${key} cannot be set: the platform sets ${key}`);
      }
      expect(parseConfigChanges({ PORT: null })).to.deep.equal({ PORT: null });
    });

    it('refuses one value over the 32 kB limit before anything else is looked at', () => {
      const error = refused(() => parseConfigChanges({ BIG: 'x'.repeat(1024 * 1024) }));
      expect(error.code).to.equal('config_too_large');
      expect(error.message).to.include('BIG').and.include('32.0 kB');
    });

    it('counts names and values in UTF-8 bytes, and refuses a change that takes the whole config over 32 kB', () => {
      expect(configSize({ AB: 'é' })).to.equal(4);
      const half = 'x'.repeat(CONFIG_SIZE_LIMIT_BYTES / 2);
      const next = applyConfigChanges({ A: half }, { B: half });
      const error = refused(() => assertConfigSize(next, { B: half }));
      expect(error.code).to.equal('config_too_large');
      expect(error.message).to.include('32.0 kB').and.include('Nothing was changed');
      expect(() => assertConfigSize({ A: half }, { B: null }), 'unsetting shrinks, always allowed').not.to.throw();
      expect(() => assertConfigSize({ A: 'x'.repeat(CONFIG_SIZE_LIMIT_BYTES - 1) }, { A: 'x' })).not.to.throw();
    });
  });

  describe('parseConfigChanges (PATCH body)', () => {
    it('takes strings to set and null to unset, in the order given', () => {
      const changes = parseConfigChanges({ B: 'two', A: 'x=y=z', GONE: null, EMPTY: '' });
      expect(changes).to.deep.equal({ B: 'two', A: 'x=y=z', GONE: null, EMPTY: '' });
      expect(Object.keys(changes)).to.deep.equal(['B', 'A', 'GONE', 'EMPTY']);
    });

    it('refuses the whole body when one key is invalid', () => {
      expect(refused(() => parseConfigChanges({ GOOD: 'v', 'bad-key': 'v' })).message).to.include('"bad-key"');
    });

    it('refuses values that are neither strings nor null, naming the key only', () => {
      const error = refused(() => parseConfigChanges({ PORTS: 5000, SECRET: 's3cret', FLAG: true }));
      expect(error.message).to.include('PORTS, FLAG');
      expect(error.message).to.not.include('s3cret');
    });

    it('refuses bodies that are not a non-empty object', () => {
      for (const body of [undefined, null, 'A=1', ['A'], 42, {}]) {
        expect(refused(() => parseConfigChanges(body)).code, JSON.stringify(body)).to.equal('invalid_request');
      }
    });
  });

  describe('applyConfigChanges', () => {
    it('sets, replaces and removes, leaving the input untouched', () => {
      const before = { KEEP: 'k', REPLACE: 'old', REMOVE: 'r' };
      const after = applyConfigChanges(before, { REPLACE: 'new', REMOVE: null, ADD: 'a', ABSENT: null });
      expect(after).to.deep.equal({ KEEP: 'k', REPLACE: 'new', ADD: 'a' });
      expect(before).to.deep.equal({ KEEP: 'k', REPLACE: 'old', REMOVE: 'r' });
    });

    it('stores "__proto__" as a plain config var', () => {
      const after = applyConfigChanges({}, parseConfigChanges(JSON.parse('{"__proto__": "x"}')));
      expect(Object.hasOwn(after, '__proto__')).to.equal(true);
      expect(JSON.stringify(after)).to.equal('{"__proto__":"x"}');
    });

    it('tells a change that changes nothing', () => {
      expect(sameConfig({ A: '1' }, applyConfigChanges({ A: '1' }, { A: '1', B: null }))).to.equal(true);
      expect(sameConfig({ A: '1' }, { A: '2' })).to.equal(false);
      expect(sameConfig({ A: '1' }, { A: '1', B: '' })).to.equal(false);
      expect(sameConfig({ A: '1', B: '2' }, { A: '1', C: '2' })).to.equal(false);
    });

    it('lists keys sorted, never values', () => {
      expect(configKeys({ ZED: 'z', ALPHA: 'secret' })).to.deep.equal(['ALPHA', 'ZED']);
    });
  });

  describe('release descriptions, as Heroku words them', () => {
    it('describes setting one or several vars', () => {
      expect(configChangeDescription({ GREETING: 'hi' })).to.equal('Set GREETING config vars');
      expect(configChangeDescription({ A: '1', B: '2' })).to.equal('Set A, B config vars');
    });

    it('describes removing vars', () => {
      expect(configChangeDescription({ GREETING: null })).to.equal('Remove GREETING config vars');
      expect(configChangeDescription({ A: null, B: null })).to.equal('Remove A, B config vars');
    });

    it('describes a change that sets some and removes others', () => {
      expect(configChangeDescription({ A: '1', B: null, C: '3' })).to.equal('Set A, C and remove B config vars');
    });

    it('describes a rollback', () => {
      expect(rollbackDescription(1)).to.equal('Rollback to v1');
      expect(rollbackDescription(12)).to.equal('Rollback to v12');
    });
  });

  describe('rollback targets', () => {
    it('reads versions as 3, "3" or "v3"', () => {
      expect(parseVersion(3)).to.equal(3);
      expect(parseVersion('3')).to.equal(3);
      expect(parseVersion('v12')).to.equal(12);
      for (const bad of [0, -1, 1.5, '', 'v', 'v0', 'three', '3a', null, undefined, {}]) {
        expect(parseVersion(bad), JSON.stringify(bad)).to.equal(null);
      }
    });

    it('refuses failed, pending and build-less releases, and accepts succeeded ones with a build', () => {
      expect(rollbackRefusal(release(2, { status: 'failed', failureReason: 'crashed' }))).to.match(/^v2 failed, so it cannot be rolled back to/);
      expect(rollbackRefusal(release(2, { status: 'pending' }))).to.match(/^v2 is still pending/);
      expect(rollbackRefusal(release(2, { buildId: null }))).to.match(/^v2 has no build to run/);
      expect(rollbackRefusal(release(2))).to.equal(null);
    });

    it('goes back to the newest succeeded release with a build before the current one', () => {
      const history = [
        release(6),
        release(5, { status: 'failed' }),
        release(4), // current
        release(3, { status: 'failed' }),
        release(2, { buildId: null }),
        release(1),
      ];
      expect(previousGoodRelease(history, 4)?.version).to.equal(1);
      expect(previousGoodRelease(history, 6)?.version).to.equal(4);
      expect(previousGoodRelease(history, 1)).to.equal(null);
      expect(previousGoodRelease([release(1)], 1)).to.equal(null);
    });
  });
});
