import { expect } from 'chai';
import { parseDuration } from '../../../lib/duration';

describe('lib/duration', () => {
  it('reads a whole number and one unit', () => {
    expect(parseDuration('90s')).to.equal(90);
    expect(parseDuration('15m')).to.equal(900);
    expect(parseDuration('1h')).to.equal(3600);
    expect(parseDuration(' 30d ')).to.equal(30 * 86_400);
    expect(parseDuration('2w')).to.equal(14 * 86_400);
  });

  it('refuses anything else, and zero', () => {
    for (const text of ['', '1', 'h', '1.5h', '-1h', '1H', '1 h', '1h30m', '0d', '12345678d', 'soon']) {
      expect(parseDuration(text), text).to.equal(null);
    }
  });
});
