/**
 * Add-ons through the whole platform on a real PostgreSQL server: created for an app by the API,
 * provisioned by the Docker adapter, bound as DATABASE_URL (owned: config:set refused), backed up
 * and verified by a restore into a scratch server, destroyed with its container and volume.
 */
import Docker from 'dockerode';
import { expect } from 'chai';
import type { AddonJson, BackupJson } from '../../../../api/schemas/addons';
import { addonContainerName } from '../../../../engine/addons/docker-servers';
import { startTestSlipway, type TestSlipway } from '../../../support/slipway';
import { waitFor } from '../wait-for';

describe('add-ons through the platform (real PostgreSQL)', function () {
  this.timeout(300_000);
  let slipway: TestSlipway;
  const docker = new Docker();

  before(async () => { slipway = await startTestSlipway(); });
  after(async () => { await slipway.close(); });

  it('provisions, binds, protects, backs up (verified) and destroys a PostgreSQL add-on', async () => {
    expect((await slipway.api('POST', '/apps', { name: 'addon-shop' })).status).to.equal(201);
    const created = await slipway.api<AddonJson>('POST', '/apps/addon-shop/addons', { kind: 'postgresql' });
    expect(created.status).to.equal(202);
    const name = created.body.name;
    try {
      const ready = await waitFor('the add-on to be available and bound', async () => {
        const info = (await slipway.api<AddonJson>('GET', `/addons/${name}`)).body;
        return info.state === 'failed' || (info.state === 'available' && info.attachments.every((a) => a.bound)) ? info : null;
      }, { timeoutMs: 240_000, intervalMs: 500 });
      expect(ready.state, ready.stateReason ?? '').to.equal('available');
      expect(ready.url).to.match(/^postgres:\/\/u[a-z0-9]+:\*\*\*\*\*@/);
      const config = (await slipway.api<Record<string, string>>('GET', '/apps/addon-shop/config')).body;
      expect(config.DATABASE_URL).to.match(/^postgres:\/\/u[a-z0-9]+:[A-Za-z0-9]+@/);
      const refused = await slipway.api<{ error: { code: string } }>('PATCH', '/apps/addon-shop/config', { DATABASE_URL: null });
      expect(refused.body.error.code).to.equal('config_var_owned');
      expect((await docker.getContainer(addonContainerName(name)).inspect()).State.Running).to.equal(true);

      const capture = await slipway.api<BackupJson>('POST', `/addons/${name}/backups`);
      expect(capture.status).to.equal(202);
      const backup = await waitFor('the backup to finish', async () => {
        const one = (await slipway.api<BackupJson>('GET', `/addons/${name}/backups/${capture.body.id}`)).body;
        return one.status === 'verified' || one.status === 'failed' ? one : null;
      }, { timeoutMs: 240_000, intervalMs: 500 });
      expect(backup.status, backup.error ?? '').to.equal('verified');
      expect(backup.size).to.be.greaterThan(0);
    } finally {
      const destroyed = await slipway.api('DELETE', `/addons/${name}?confirm=${name}&detachAll=true`);
      expect(destroyed.status).to.equal(204);
    }
    expect((await slipway.api<Record<string, string>>('GET', '/apps/addon-shop/config')).body).to.deep.equal({});
    const gone = await docker.getContainer(addonContainerName(name)).inspect().then(() => false, () => true);
    expect(gone).to.equal(true);
  });
});
