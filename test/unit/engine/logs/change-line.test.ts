import { expect } from 'chai';
import { changeLine } from '../../../../engine/logs/change-line';
import { PLATFORM } from '../../../../engine/policy';

describe('engine/logs changeLine (slipway[api] lines)', () => {
  const ann = { kind: 'user', userId: 2, userName: 'ann', platformAdmin: false, scope: 'admin', via: 'token', credential: '4' } as const;

  it('says what changed and who changed it, as Heroku\'s api lines do', () => {
    expect(changeLine({ principal: ann, address: '127.0.0.1', action: 'formation.scale', app: 'shop', result: 'ok' })).to.equal('Scaled by ann');
    expect(changeLine({ principal: ann, address: '127.0.0.1', action: 'config.change', app: 'shop', result: 'failed' })).to.equal('Config vars changed by ann (failed)');
  });

  it('names the platform for its own changes and keeps unknown actions as they are', () => {
    expect(changeLine({ principal: PLATFORM, address: '', action: 'addon.attach', app: 'shop', result: 'ok' })).to.equal('addon.attach by Slipway');
  });
});
