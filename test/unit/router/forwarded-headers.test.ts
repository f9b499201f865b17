import { expect } from 'chai';
import { forwardedHeaders } from '../../../router/forwarded-headers';

describe('router/forwarded-headers', () => {
  it('names the client, the scheme, the original Host and the port the client used', () => {
    expect(
      forwardedHeaders({ remoteAddress: '10.1.2.3', localPort: 8080, host: 'shop.test:8080', forwardedFor: undefined }),
    ).to.deep.equal({
      'x-forwarded-for': '10.1.2.3',
      'x-forwarded-proto': 'http',
      'x-forwarded-host': 'shop.test:8080',
      'x-forwarded-port': '8080',
    });
  });

  it('appends the client to an X-Forwarded-For chain it was sent', () => {
    const headers = forwardedHeaders({ remoteAddress: '10.1.2.3', localPort: 80, host: 'a', forwardedFor: '203.0.113.9' });
    expect(headers['x-forwarded-for']).to.equal('203.0.113.9, 10.1.2.3');
    const repeated = forwardedHeaders({ remoteAddress: '10.1.2.3', localPort: 80, host: 'a', forwardedFor: ['1.1.1.1', '2.2.2.2'] });
    expect(repeated['x-forwarded-for']).to.equal('1.1.1.1, 2.2.2.2, 10.1.2.3');
  });

  it('writes IPv4 clients of a dual-stack socket as plain IPv4, IPv6 as is', () => {
    expect(forwardedHeaders({ remoteAddress: '::ffff:127.0.0.1', localPort: 80, host: 'a', forwardedFor: undefined })['x-forwarded-for']).to.equal('127.0.0.1');
    expect(forwardedHeaders({ remoteAddress: '::1', localPort: 80, host: 'a', forwardedFor: undefined })['x-forwarded-for']).to.equal('::1');
  });
});
