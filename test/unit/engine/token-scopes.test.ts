import { expect } from 'chai';
import { SlipwayError } from '../../../lib/errors';
import { parseDuration, parseScope, scopeIncludes } from '../../../engine/token-scopes';

describe('engine/token-scopes', () => {
  it('nests the scopes: read ⊂ deploy ⊂ admin', () => {
    expect(scopeIncludes('admin', 'admin')).to.equal(true);
    expect(scopeIncludes('admin', 'deploy')).to.equal(true);
    expect(scopeIncludes('admin', 'read')).to.equal(true);
    expect(scopeIncludes('deploy', 'deploy')).to.equal(true);
    expect(scopeIncludes('deploy', 'read')).to.equal(true);
    expect(scopeIncludes('deploy', 'admin')).to.equal(false);
    expect(scopeIncludes('read', 'read')).to.equal(true);
    expect(scopeIncludes('read', 'deploy')).to.equal(false);
    expect(scopeIncludes('read', 'admin')).to.equal(false);
  });

  it('parses a scope, refusing anything else with what to use', () => {
    expect(parseScope('deploy')).to.equal('deploy');
    expect(() => parseScope('root')).to.throw(SlipwayError, /read, deploy or admin/);
  });

  it('parses durations such as 90s, 15m, 1h, 30d, 2w', () => {
    expect(parseDuration('90s')).to.equal(90_000);
    expect(parseDuration('15m')).to.equal(900_000);
    expect(parseDuration('1h')).to.equal(3_600_000);
    expect(parseDuration('30d')).to.equal(30 * 86_400_000);
    expect(parseDuration('2w')).to.equal(14 * 86_400_000);
    for (const bad of ['', '0d', '1y', '-1h', '1.5h', 'h', '1 h 2']) expect(() => parseDuration(bad), bad).to.throw(SlipwayError);
  });
});
