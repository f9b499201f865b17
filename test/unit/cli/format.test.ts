import { expect } from 'chai';
import type { AppInfo, Key, Release } from '../../../cli/api-types';
import {
  appInfo,
  appsTable,
  colorEnabled,
  errorLine,
  keysTable,
  relativeTime,
  releaseStatus,
  releasesTable,
  wrap,
} from '../../../cli/format';

const ESC = '\u001b[';
const now = new Date('2025-06-01T12:00:00Z');
const ago = (ms: number) => new Date(now.getTime() - ms).toISOString();
const plain = { color: false, now };
const coloured = { color: true, now };

function release(overrides: Partial<Release>): Release {
  return {
    version: 1,
    description: 'Deploy 1a2b3c4',
    status: 'succeeded',
    current: false,
    buildId: 'b1',
    commit: '1a2b3c4d5e6f7a8b9c0d',
    failureReason: null,
    createdAt: ago(3 * 60_000),
    ...overrides,
  };
}

describe('cli/format', () => {
  describe('relativeTime', () => {
    it('says "just now" for the last few seconds', () => {
      expect(relativeTime(ago(0), now)).to.equal('just now');
      expect(relativeTime(ago(9_000), now)).to.equal('just now');
    });

    it('counts seconds, minutes, hours, days, months and years with plurals', () => {
      expect(relativeTime(ago(42_000), now)).to.equal('42 seconds ago');
      expect(relativeTime(ago(60_000), now)).to.equal('1 minute ago');
      expect(relativeTime(ago(3 * 60_000 + 20_000), now)).to.equal('3 minutes ago');
      expect(relativeTime(ago(60 * 60_000), now)).to.equal('1 hour ago');
      expect(relativeTime(ago(5 * 3600_000), now)).to.equal('5 hours ago');
      expect(relativeTime(ago(2 * 86400_000), now)).to.equal('2 days ago');
      expect(relativeTime(ago(65 * 86400_000), now)).to.equal('2 months ago');
      expect(relativeTime(ago(800 * 86400_000), now)).to.equal('2 years ago');
    });

    it('handles times in the future (clock skew) and unparseable input', () => {
      expect(relativeTime(new Date(now.getTime() + 5 * 60_000).toISOString(), now)).to.equal('in 5 minutes');
      expect(relativeTime('not a date', now)).to.equal('not a date');
    });
  });

  describe('releaseStatus', () => {
    it('colours succeeded green, failed red and pending yellow', () => {
      expect(releaseStatus('succeeded', true)).to.equal(`${ESC}32msucceeded${ESC}39m`);
      expect(releaseStatus('failed', true)).to.equal(`${ESC}31mfailed${ESC}39m`);
      expect(releaseStatus('pending', true)).to.equal(`${ESC}33mpending${ESC}39m`);
    });

    it('is plain text without colour', () => {
      for (const status of ['succeeded', 'failed', 'pending']) expect(releaseStatus(status, false)).to.equal(status);
    });
  });

  describe('colorEnabled', () => {
    it('is on for a TTY, off otherwise', () => {
      expect(colorEnabled({ isTTY: true }, {})).to.equal(true);
      expect(colorEnabled({ isTTY: false }, {})).to.equal(false);
      expect(colorEnabled({}, {})).to.equal(false);
    });

    it('honours NO_COLOR, then FORCE_COLOR', () => {
      expect(colorEnabled({ isTTY: true }, { NO_COLOR: '1' })).to.equal(false);
      expect(colorEnabled({ isTTY: false }, { FORCE_COLOR: '1' })).to.equal(true);
      expect(colorEnabled({ isTTY: true }, { FORCE_COLOR: '0' })).to.equal(true);
      expect(colorEnabled({ isTTY: false }, { FORCE_COLOR: '0' })).to.equal(false);
    });
  });

  describe('appsTable', () => {
    const apps = [
      { name: 'shop', url: 'http://shop.slipway.test', gitUrl: 'g', createdAt: ago(0), currentRelease: 3 },
      { name: 'blog', url: 'http://blog.slipway.test', gitUrl: 'g', createdAt: ago(0), currentRelease: null },
    ];

    it('shows name, current release and URL', () => {
      const text = appsTable(apps, plain);
      expect(text).to.match(/Name\s+│ Current release │ URL/);
      expect(text).to.match(/│ shop\s+│ v3\s+│ http:\/\/shop\.slipway\.test\s+│/);
      expect(text).to.match(/│ blog\s+│ none\s+│ http:\/\/blog\.slipway\.test\s+│/);
      expect(text).not.to.include(ESC);
    });

    it('says how to create an app when there is none', () => {
      expect(appsTable([], plain)).to.equal('You have no apps. Create one with: slipway apps:create NAME');
    });
  });

  describe('releasesTable', () => {
    const releases = [
      release({ version: 3, status: 'pending', description: 'Deploy 9f8e7d6', commit: '9f8e7d6c5b4a', createdAt: ago(30_000) }),
      release({
        version: 2,
        status: 'failed',
        description: 'Deploy 5555555',
        commit: '5555555aaaa',
        failureReason: 'web did not answer HTTP on $PORT within 60s',
        createdAt: ago(2 * 3600_000),
      }),
      release({ version: 1, current: true, createdAt: ago(3 * 60_000 + 5_000) }),
    ];

    it('shows vN, status, description, short commit and relative time', () => {
      const text = releasesTable('shop', releases, plain);
      expect(text).to.match(/Version\s+│ Status\s+│ Description\s+│ Commit\s+│ Created/);
      expect(text).to.match(/│ v1 \(current\) │ succeeded │ Deploy 1a2b3c4\s+│ 1a2b3c4 │ 3 minutes ago\s+│/);
      expect(text).to.match(/│ v3\s+│ pending\s+│ Deploy 9f8e7d6\s+│ 9f8e7d6 │ 30 seconds ago\s+│/);
      expect(text).not.to.include('1a2b3c4d');
    });

    it('shows the reason of a failed release', () => {
      const text = releasesTable('shop', releases, plain);
      expect(text).to.include('failed: web did not answer HTTP on $PORT');
      expect(text).to.include('2 hours ago');
    });

    it('colours statuses when asked', () => {
      const text = releasesTable('shop', releases, coloured);
      expect(text).to.include(`${ESC}32msucceeded`);
      expect(text).to.include(`${ESC}31mfailed`);
      expect(text).to.include(`${ESC}33mpending`);
    });

    it('says how to deploy when there is no release', () => {
      expect(releasesTable('shop', [], plain)).to.match(/^shop has no releases yet/);
    });
  });

  describe('keysTable', () => {
    it('shows id, name, fingerprint and when it was added', () => {
      const keys: Key[] = [{ id: 1, name: 'laptop', fingerprint: 'SHA256:abc', createdAt: ago(2 * 86400_000) }];
      const text = keysTable(keys, plain);
      expect(text).to.match(/ID\s+│ Name\s+│ Fingerprint\s+│ Added/);
      expect(text).to.match(/│ 1 +│ laptop │ SHA256:abc\s+│ 2 days ago │/);
    });

    it('says how to add a key when there is none', () => {
      expect(keysTable([], plain)).to.equal('You have no SSH keys. Add one with: slipway keys:add');
    });
  });

  describe('appInfo', () => {
    const info: AppInfo = {
      name: 'shop',
      url: 'http://shop.slipway.test',
      gitUrl: 'ssh://git@git.slipway.test:2222/shop.git',
      createdAt: ago(86400_000),
      currentRelease: 4,
      formation: [
        { type: 'web', quantity: 2, memoryMb: 512, cpu: 0.5 },
        { type: 'worker', quantity: 1, memoryMb: 512, cpu: 0.5 },
      ],
      instances: [
        { id: 'web-1', type: 'web', state: 'running', release: 4, url: 'http://127.0.0.1:32768', startedAt: null, restartCount: 0 },
        { id: 'worker-1', type: 'worker', state: 'starting', release: 4, url: null, startedAt: null, restartCount: 0 },
      ],
      release: release({ version: 4, current: true, description: 'Deploy abcdef0' }),
    };

    it('shows the URLs, the current release, the formation and the instances', () => {
      const text = appInfo(info, plain);
      expect(text).to.match(/^=== shop\n/);
      expect(text).to.match(/Web URL: +http:\/\/shop\.slipway\.test/);
      expect(text).to.match(/Git URL: +ssh:\/\/git@git\.slipway\.test:2222\/shop\.git/);
      expect(text).to.match(/Current release: v4 succeeded — Deploy abcdef0/);
      expect(text).to.match(/Formation: +web=2 worker=1/);
      expect(text).to.match(/Created: +1 day ago/);
      expect(text).to.match(/│ web-1\s+│ web\s+│ running\s+│ v4\s+│ http:\/\/127\.0\.0\.1:32768 │/);
      expect(text).to.match(/│ worker-1 │ worker │ starting │ v4\s+│\s+│/);
    });

    it('explains an app that has never been deployed', () => {
      const text = appInfo({ ...info, currentRelease: null, release: null, formation: [], instances: [] }, plain);
      expect(text).to.match(/Current release: none yet/);
      expect(text).to.match(/Formation: +none/);
      expect(text).to.include('No instances running.');
    });

    it('shows why the current release failed', () => {
      const failed = release({ version: 5, status: 'failed', failureReason: 'build failed' });
      expect(appInfo({ ...info, release: failed }, plain)).to.match(/Current release: v5 failed — Deploy 1a2b3c4 \(build failed\)/);
    });
  });

  it('errorLine prefixes " !    " and colours it red when asked', () => {
    expect(errorLine('boom', false)).to.equal(' !    boom');
    expect(errorLine('boom', true)).to.equal(`${ESC}31m !    boom${ESC}39m`);
  });

  it('wrap breaks long text at word boundaries', () => {
    expect(wrap('aaa bbb ccc ddd', 7)).to.equal('aaa bbb\nccc ddd');
    expect(wrap('short', 60)).to.equal('short');
  });
});
