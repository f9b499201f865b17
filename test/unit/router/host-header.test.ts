import { expect } from 'chai';
import { normalizeHost } from '../../../router/host-header';

describe('router/host-header', () => {
  const cases: Array<[string | undefined, string | null]> = [
    ['shop.slipway.localhost', 'shop.slipway.localhost'],
    ['Shop.Slipway.LOCALHOST:8080', 'shop.slipway.localhost'],
    ['  shop.test  ', 'shop.test'],
    ['shop.test.', 'shop.test'],
    ['shop.test.:80', 'shop.test'],
    ['127.0.0.1:8080', '127.0.0.1'],
    ['[::1]:8080', '[::1]'],
    ['[::1]', '[::1]'],
    ['[::1', null],
    ['', null],
    [':8080', null],
    [undefined, null],
    ['evil.test/path', null],
    ['user@shop.test', null],
  ];
  for (const [header, expected] of cases) {
    it(`${JSON.stringify(header)} → ${JSON.stringify(expected)}`, () => {
      expect(normalizeHost(header)).to.equal(expected);
    });
  }
});
