import { expect } from 'chai';
import { droppedTypesWarning, FormationService, undeclaredFormation } from '../../../engine/formation-service';
import type { App, Build, FormationEntry } from '../../../engine/model';
import type { AppsRepo } from '../../../engine/store/apps-repo';
import type { BuildsRepo } from '../../../engine/store/builds-repo';
import type { ReleasesRepo } from '../../../engine/store/releases-repo';
import type { Deployer } from '../../../engine/deployer';
import type { Reconciler } from '../../../engine/reconciler';
import type { RuntimeDriver } from '../../../engine/runtime-driver';
import { SlipwayError } from '../../../lib/errors';
import { silentLogger } from '../../../lib/log';

const entry = (type: string, quantity: number): FormationEntry => ({ type, quantity, memoryMb: 512, cpu: 0.5 });

function build(processTypes: Record<string, string>, status: Build['status'] = 'succeeded'): Build {
  return {
    id: 'b1', appId: 1, status, commit: 'abc', image: 'img', digest: null, processTypes, log: '', durationMs: 1,
    appJson: null, createdAt: new Date(),
  };
}

/** A FormationService over in-memory fakes of the app's formation and builds (no release yet). */
function rig(builds: Build[] = []) {
  const app: App = { id: 1, name: 'shop', config: {}, currentRelease: null, createdAt: new Date() };
  let formation: FormationEntry[] = [entry('web', 1)];
  const reconciled: string[] = [];
  const apps = {
    get: async () => app,
    formation: async () => formation.map((e) => ({ ...e })),
    updateFormation: async (_id: number, changes: Array<Partial<FormationEntry> & { type: string }>) => {
      for (const change of changes) {
        const found = formation.find((e) => e.type === change.type);
        if (found) Object.assign(found, Object.fromEntries(Object.entries(change).filter(([, v]) => v !== undefined)));
        else formation.push({ ...entry(change.type, 0), ...change });
      }
      return formation;
    },
    removeFormation: async (_id: number, types: readonly string[]) => {
      formation = formation.filter((e) => !types.includes(e.type));
      return formation;
    },
  } as unknown as AppsRepo;
  const buildsRepo = { list: async () => builds } as unknown as BuildsRepo;
  const deployer = { checkCapacity: async () => undefined } as unknown as Deployer;
  const reconciler = { reconcile: async (name: string) => { reconciled.push(name); } } as unknown as Reconciler;
  const service = new FormationService(apps, {} as ReleasesRepo, buildsRepo, {} as RuntimeDriver, deployer, reconciler, silentLogger());
  return { app, service, formation: () => formation, reconciled };
}

describe('engine/formation-service', () => {
  describe('undeclaredFormation and droppedTypesWarning', () => {
    it('finds the entries a build does not declare, leaving the default web entry alone', () => {
      const formation = [entry('web', 1), entry('worker', 1), entry('nosuchtype', 1)];
      expect(undeclaredFormation(formation, { worker: 'x' }).map((e) => e.type)).to.deep.equal(['nosuchtype']);
      expect(undeclaredFormation(formation, { web: 'a', worker: 'b', nosuchtype: 'c' })).to.deep.equal([]);
    });

    it('names what was dropped and what the build declares', () => {
      expect(droppedTypesWarning([entry('nosuchtype', 1)], { web: 'a', worker: 'b' })).to.equal(
        'The formation had nosuchtype=1, but this build declares no such process type (it declares web, worker): dropped it. Add it to the Procfile to run it.');
      expect(droppedTypesWarning([entry('a', 1), entry('b', 0)], {})).to.equal(
        'The formation had a=1, b=0, but this build declares no such process types (it declares none): dropped them. Add them to the Procfile to run them.');
    });
  });

  describe('scale before the first deploy', () => {
    it('accepts any type while no build is known (app.json style)', async () => {
      const r = rig();
      await r.service.scale('shop', [{ type: 'nosuchtype', quantity: 1 }]);
      expect(r.formation().map((e) => `${e.type}=${e.quantity}`)).to.deep.equal(['web=1', 'nosuchtype=1']);
    });

    it('checks the type against the Procfile of the latest build that succeeded', async () => {
      const r = rig([build({ web: 'x' }, 'failed'), build({ web: 'node server.js', worker: 'node worker.js' })]);
      const error = await r.service.scale('shop', [{ type: 'nosuchtype', quantity: 1 }]).catch((e: unknown) => e);
      expect(error).to.be.instanceOf(SlipwayError);
      expect((error as SlipwayError).code).to.equal('invalid_request');
      expect((error as Error).message).to.equal('No process type nosuchtype in shop: it declares web, worker. Add it to the Procfile and push.');
      expect(r.formation().map((e) => e.type)).to.deep.equal(['web']);
      await r.service.scale('shop', [{ type: 'worker', quantity: 2 }]);
      expect(r.formation().map((e) => `${e.type}=${e.quantity}`)).to.deep.equal(['web=1', 'worker=2']);
    });
  });

  describe('prepareFirstRelease', () => {
    it('applies app.json\'s formation, then drops the types the build does not declare, with a warning', async () => {
      const r = rig();
      await r.service.scale('shop', [{ type: 'nosuchtype', quantity: 1 }]);
      const warnings = await r.service.prepareFirstRelease(r.app, build({ web: 'a', worker: 'b' }), { worker: { quantity: 2 }, clock: { quantity: 1 } });
      expect(r.formation().map((e) => `${e.type}=${e.quantity}`)).to.deep.equal(['web=1', 'worker=2']);
      expect(warnings).to.deep.equal([
        'The formation had nosuchtype=1, clock=1, but this build declares no such process types (it declares web, worker): dropped them. Add them to the Procfile to run them.',
      ]);
    });

    it('says nothing when every type is declared', async () => {
      const r = rig();
      expect(await r.service.prepareFirstRelease(r.app, build({ web: 'a' }), { web: { quantity: 2 } })).to.deep.equal([]);
      expect(r.formation().map((e) => `${e.type}=${e.quantity}`)).to.deep.equal(['web=2']);
    });
  });
});
