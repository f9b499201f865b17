import { expect } from 'chai';
import { BRIDGE_PREFIX, BUILD_BRIDGE, instanceAliases, teamBridgeName, teamNetworkName } from '../../../lib/team-network';

describe('lib/team-network', () => {
  it('names a team\'s network slipway-team-<id>', () => {
    expect(teamNetworkName(1)).to.equal('slipway-team-1');
    expect(teamNetworkName(42)).to.equal('slipway-team-42');
  });

  it('gives every bridge a Linux interface name (≤ 15 characters) the firewall matches by prefix', () => {
    for (const bridge of [teamBridgeName(1), teamBridgeName(9_999_999_999), BUILD_BRIDGE]) {
      expect(bridge.startsWith(BRIDGE_PREFIX)).to.equal(true);
      expect(bridge.length).to.be.at.most(15);
    }
    expect(teamBridgeName(7)).to.not.equal(teamBridgeName(70));
  });

  it('refuses ids that are not whole positive numbers a bridge name can hold', () => {
    for (const bad of [0, -1, 1.5, Number.NaN, 10_000_000_000]) {
      expect(() => teamNetworkName(bad)).to.throw(RangeError);
      expect(() => teamBridgeName(bad)).to.throw(RangeError);
    }
  });

  it('reaches web processes by the app\'s name and every process type by <type>.<app>', () => {
    expect(instanceAliases('shop', 'web')).to.deep.equal(['shop', 'web.shop']);
    expect(instanceAliases('shop', 'worker')).to.deep.equal(['worker.shop']);
  });
});
