/**
 * The contract of engine/storage/volumes-port.ts, run against the in-memory fake (unit) and Docker
 * (integration), so the fake the service's tests rely on behaves as Docker does.
 */
import { expect } from 'chai';
import type { VolumesPort } from '../../engine/storage/volumes-port';

export interface VolumesFixture {
  port: VolumesPort;
  /** A name unique to this run (Docker volumes are host-wide). */
  name(label: string): string;
  /** App ids unique to this run. */
  appIds: [number, number];
  /** Holds the volume as a running container would until the returned function is called. */
  use(name: string): Promise<() => Promise<void>>;
}

export function volumesContract(describeName: string, setUp: () => Promise<VolumesFixture>, tearDown: () => Promise<void> = async () => undefined): void {
  describe(`VolumesPort contract: ${describeName}`, function () {
    this.timeout(60_000);
    let f: VolumesFixture;
    beforeEach(async () => { f = await setUp(); });
    afterEach(() => tearDown());

    it('makes a volume once: ensure is idempotent, exists says so', async () => {
      const name = f.name('a');
      expect(await f.port.exists(name)).to.equal(false);
      const owner = { appId: f.appIds[0], teamId: 3, processType: 'web', path: '/data' };
      await f.port.ensure(name, owner);
      await f.port.ensure(name, owner);
      expect(await f.port.exists(name)).to.equal(true);
      expect(await f.port.remove(name)).to.equal('removed');
      expect(await f.port.exists(name)).to.equal(false);
    });

    it('answers missing for a volume that is not there', async () => {
      expect(await f.port.remove(f.name('never'))).to.equal('missing');
    });

    it('keeps a volume a container uses: volume_in_use, and it is still there', async () => {
      const name = f.name('held');
      await f.port.ensure(name, { appId: f.appIds[0], teamId: 3, processType: 'web', path: '/data' });
      const release = await f.use(name);
      try {
        await f.port.remove(name).then(() => expect.fail('removed a volume in use'), (error: { code?: string }) => expect(error.code).to.equal('volume_in_use'));
        expect(await f.port.exists(name)).to.equal(true);
      } finally {
        await release();
      }
      expect(await f.port.remove(name)).to.equal('removed');
    });

    it('removes every volume of one app and only of that app', async () => {
      const [mine, other] = f.appIds;
      const a = f.name('mine-1');
      const b = f.name('mine-2');
      const c = f.name('other');
      await f.port.ensure(a, { appId: mine, teamId: 3, processType: 'web', path: '/data' });
      await f.port.ensure(b, { appId: mine, teamId: 3, processType: 'worker', path: '/queue' });
      await f.port.ensure(c, { appId: other, teamId: 3, processType: 'web', path: '/data' });
      expect((await f.port.removeForApp(mine)).sort()).to.deep.equal([a, b].sort());
      expect(await f.port.exists(a)).to.equal(false);
      expect(await f.port.exists(b)).to.equal(false);
      expect(await f.port.exists(c)).to.equal(true);
      await f.port.remove(c);
    });
  });
}
