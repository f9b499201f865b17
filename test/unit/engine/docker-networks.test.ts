import { expect } from 'chai';
import { isMissingNetwork } from '../../../engine/drivers/docker-networks';

describe('engine/drivers/docker-networks isMissingNetwork', () => {
  function dockerError(statusCode: number, message: string): Error {
    return Object.assign(new Error(`(HTTP code ${statusCode}) ${message}`), { statusCode, json: { message } });
  }

  it('recognises dockerd saying a container\'s network is gone, and nothing else', () => {
    expect(isMissingNetwork(dockerError(404, 'network slipway-team-7 not found'))).to.equal(true);
    expect(isMissingNetwork(dockerError(404, 'No such image: app:1'))).to.equal(false);
    expect(isMissingNetwork(dockerError(500, 'network slipway-team-7 not found'))).to.equal(false);
    expect(isMissingNetwork(new Error('network slipway-team-7 not found'))).to.equal(false);
  });
});
