/**
 * The log stream in a whole Slipway: the router's line for a request reaches the app's stream
 * through the spool, `logs` answers it in Heroku's format, and a follower (`tail=1`) gets new
 * lines as they come.
 */
import { expect } from 'chai';
import { startTestSlipway, uniqueName, type TestSlipway } from '../../support/slipway';

describe('logs in a running Slipway', () => {
  let slipway: TestSlipway;
  const app = uniqueName('logs');
  before(async () => {
    slipway = await startTestSlipway();
    expect((await slipway.api('POST', '/apps', { name: app })).status).to.equal(201);
  });
  after(async () => { await slipway?.close(); });

  it('keeps the router\'s line of a request, and follows new lines live', async () => {
    const response = await fetch(`http://127.0.0.1:${slipway.platform.apiPort}/api/v1/apps/${app}/logs?tail=1&source=router`, {
      headers: { authorization: `Bearer ${slipway.token}` },
    });
    expect(response.status).to.equal(200);
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    // No web process yet: the router answers 503 itself, and says so in the app's stream.
    expect((await slipway.fetchApp(app, '/hello')).status).to.equal(503);
    let text = '';
    while (!text.includes('path="/hello"')) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
    await reader.cancel();
    expect(text).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00 router\[router\]: at=error code=R503 desc="No running web process" method=GET path="\/hello" host=\S+ request_id=\S+ fwd="127\.0\.0\.1" dyno= connect= service= status=503 bytes=\d+ protocol=http$/m);

    const history = await fetch(`http://127.0.0.1:${slipway.platform.apiPort}/api/v1/apps/${app}/logs?source=router`, {
      headers: { authorization: `Bearer ${slipway.token}` },
    });
    expect(await history.text()).to.contain('path="/hello"');
  });

  it('adds platform events with AppEvents.emit', async () => {
    slipway.platform.logs.emit(app, 'Release v1 created by admin');
    const response = await fetch(`http://127.0.0.1:${slipway.platform.apiPort}/api/v1/apps/${app}/logs?source=slipway`, {
      headers: { authorization: `Bearer ${slipway.token}` },
    });
    expect(await response.text()).to.match(/slipway\[api\]: Release v1 created by admin\n$/);
  });
});
