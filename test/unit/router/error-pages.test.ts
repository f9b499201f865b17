import { expect } from 'chai';
import { ROUTER_ERRORS, renderErrorPage } from '../../../router/error-pages';

describe('router/error-pages', () => {
  it('answers plain text with the code first unless the client asks for HTML', () => {
    const page = renderErrorPage('R404', 'No app is served at shop.test', '*/*');
    expect(page.status).to.equal(404);
    expect(page.body).to.equal('R404 No app is served at shop.test\n');
    expect(page.headers['content-type']).to.match(/^text\/plain/);
    expect(page.headers['x-slipway-error']).to.equal('R404');
    expect(page.headers['content-length']).to.equal(String(Buffer.byteLength(page.body)));
  });

  it('answers browsers with HTML that cannot be injected through the Host header', () => {
    const page = renderErrorPage('R404', 'No app is served at <script>alert(1)</script>', 'text/html,application/xhtml+xml');
    expect(page.headers['content-type']).to.match(/^text\/html/);
    expect(page.body).to.include('&#60;script&#62;alert(1)&#60;/script&#62;');
    expect(page.body).to.not.include('<script>');
    expect(page.body).to.include('R404');
  });

  it('gives every code an HTTP error status', () => {
    for (const [code, { status }] of Object.entries(ROUTER_ERRORS)) {
      expect(status, code).to.be.within(400, 599);
    }
    expect(ROUTER_ERRORS.R503.status).to.equal(503);
    expect(ROUTER_ERRORS.R502.status).to.equal(502);
  });
});
