import { expect } from 'chai';
import { readRequestTarget } from '../../../router/request-target';

describe('router/request-target', () => {
  it('takes an origin-form target as it is', () => {
    expect(readRequestTarget('/a/b?c=1', 'GET')).to.deep.equal({ ok: true, path: '/a/b?c=1', authority: undefined });
  });

  it('reads the authority of an absolute-form target and turns it into origin form', () => {
    expect(readRequestTarget('http://Shop.Test:8080/x?y=1', 'GET')).to.deep.equal({ ok: true, path: '/x?y=1', authority: 'Shop.Test:8080' });
    expect(readRequestTarget('HTTPS://shop.test', 'GET')).to.deep.equal({ ok: true, path: '/', authority: 'shop.test' });
    expect(readRequestTarget('http://shop.test?q', 'GET')).to.deep.equal({ ok: true, path: '/?q', authority: 'shop.test' });
  });

  it('takes the asterisk form for OPTIONS only, as it is (routed by Host)', () => {
    expect(readRequestTarget('*', 'OPTIONS')).to.deep.equal({ ok: true, path: '*', authority: undefined });
    expect(readRequestTarget('*', 'GET').ok).to.equal(false);
  });

  it('refuses asterisk form but for OPTIONS, other schemes, userinfo and an empty authority', () => {
    for (const url of ['*', 'shop.test:443', 'ftp://shop.test/', 'http://user@shop.test/', 'http:///x', 'http://shop.test/#frag']) {
      expect(readRequestTarget(url, 'GET').ok, url).to.equal(false);
    }
  });
});
