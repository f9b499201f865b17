import { expect } from 'chai';
import { InstanceKiller, findInstance } from '../../../engine/instance-kill';
import type { AppsRepo } from '../../../engine/store/apps-repo';
import { SlipwayError } from '../../../lib/errors';
import { silentLogger } from '../../../lib/log';
import { EventLog, FakeDriver, FakePublisher } from './fake-driver';

describe('engine/instance-kill (ps:kill)', () => {
  let events: EventLog;
  let driver: FakeDriver;
  let publisher: FakePublisher;
  let reconciled: string[];
  let killer: InstanceKiller;

  beforeEach(() => {
    events = new EventLog();
    driver = new FakeDriver(events);
    publisher = new FakePublisher(events);
    reconciled = [];
    for (const id of ['shop.web.bbb', 'shop.web.aaa', 'shop.worker.ccc']) driver.seed({ id, process: id.split('.')[1]!, release: 3 });
    driver.seed({ id: 'shop.run.ddd', process: 'run', release: 3 });
    publisher.seed('shop', 'shop.web.aaa', { url: 'http://127.0.0.1:1', release: 3, process: 'web' });
    publisher.seed('shop', 'shop.web.bbb', { url: 'http://127.0.0.1:2', release: 3, process: 'web' });
    const apps = { get: (name: string) => Promise.resolve({ id: 1, name }) } as unknown as AppsRepo;
    killer = new InstanceKiller(apps, driver, publisher, { reconcile: (name) => { reconciled.push(name); return Promise.resolve(); } }, 7, silentLogger());
  });

  it('finds TYPE.N in ps order (by id), or an instance id', async () => {
    const instances = await driver.list('shop');
    expect(findInstance(instances, 'web.1')?.id).to.equal('shop.web.aaa');
    expect(findInstance(instances, 'web.2')?.id).to.equal('shop.web.bbb');
    expect(findInstance(instances, 'worker.1')?.id).to.equal('shop.worker.ccc');
    expect(findInstance(instances, 'shop.worker.ccc')?.id).to.equal('shop.worker.ccc');
    for (const target of ['web.3', 'web.0', 'web', 'nope.1']) expect(findInstance(instances, target), target).to.equal(null);
  });

  it('withdraws web.2 from the router, then stops it with the grace period, and has the reconciler replace it', async () => {
    const killed = await killer.kill('shop', 'web.2');
    expect(killed.id).to.equal('shop.web.bbb');
    expect(events.list()).to.deep.equal(['withdraw shop.web.bbb', 'stop shop.web.bbb']);
    expect(driver.stops).to.deep.equal([{ id: 'shop.web.bbb', graceSeconds: 7 }]);
    expect(publisher.published('shop')).to.deep.equal(['shop.web.aaa']);
    expect(reconciled).to.deep.equal(['shop']);
  });

  it('refuses what names no formation instance (a one-off included), listing the instances', async () => {
    for (const target of ['web.3', 'shop.run.ddd']) {
      try {
        await killer.kill('shop', target);
        expect.fail('expected instance_not_found');
      } catch (error) {
        expect((error as SlipwayError).code).to.equal('instance_not_found');
        expect((error as SlipwayError).message).to.include('shop.web.aaa, shop.web.bbb, shop.worker.ccc');
      }
    }
    expect(driver.stops).to.have.length(0);
  });
});
