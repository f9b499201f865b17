/** A store with apps and the add-on service over fake servers and bindings, for the add-on tests. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { AddonsService } from '../../../../engine/addons/addons-service';
import type { AppTeams } from '../../../../engine/addons/ports';
import { ConfigService } from '../../../../engine/config-service';
import { ReleaseService } from '../../../../engine/release-service';
import { AddonsRepo } from '../../../../engine/store/addons-repo';
import { AppsRepo } from '../../../../engine/store/apps-repo';
import { BuildsRepo } from '../../../../engine/store/builds-repo';
import { openDatabase, type Database } from '../../../../engine/store/database';
import { ReleasesRepo } from '../../../../engine/store/releases-repo';
import { SlipwayError } from '../../../../lib/errors';
import { silentLogger } from '../../../../lib/log';
import { FakeBindings, FakeServers, type EventLog } from './fakes';

export async function refusal(promise: Promise<unknown>): Promise<SlipwayError> {
  try {
    await promise;
  } catch (error) {
    expect(error).to.be.instanceOf(SlipwayError);
    return error as SlipwayError;
  }
  throw new Error('expected a refusal');
}

export interface Harness {
  db: Database;
  apps: AppsRepo;
  repo: AddonsRepo;
  servers: FakeServers;
  bindings: FakeBindings;
  config: ConfigService;
  service: AddonsService;
  teams: Map<string, number>;
  events: EventLog;
  tmp: string;
  close(): Promise<void>;
}

/** A store with apps shop and blog (team 1) and other (team 2). */
export async function harness(): Promise<Harness> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-addons-'));
  const db = await openDatabase(`sqlite://${path.join(tmp, 'db.sqlite3')}`);
  const apps = new AppsRepo(db);
  for (const name of ['shop', 'blog', 'other']) await apps.create(name);
  const teams = new Map([['shop', 1], ['blog', 1], ['other', 2]]);
  const appTeams: AppTeams = { teamOf: async (app) => teams.get(app.name) ?? 1 };
  const repo = new AddonsRepo(db);
  const events: EventLog = [];
  const servers = new FakeServers(events);
  const releases = new ReleaseService(apps, new ReleasesRepo(db), new BuildsRepo(db), { deploy: async () => undefined } as never, silentLogger());
  let service!: AddonsService;
  const config = new ConfigService(apps, releases, silentLogger(), (app) => service.ownedKeys(app));
  const bindings = new FakeBindings(async (app, changes) => { await config.bind(app, changes, 'binding'); }, events);
  service = new AddonsService({ repo, apps, servers, bindings, teams: appTeams, logger: silentLogger() });
  return {
    db, apps, repo, servers, bindings, config, service, teams, events, tmp,
    async close() {
      await db.destroy();
      fs.rmSync(tmp, { recursive: true, force: true });
    },
  };
}

