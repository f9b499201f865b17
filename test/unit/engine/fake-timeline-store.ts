/** The deploy timeline's store in memory (engine/deploy-timeline.ts TimelineStore), for tests. */
import { PHASES, type Deploy, type DeployPatch, type NewDeploy, type Phase, type TimelineStore } from '../../../engine/deploy-timeline';

export class FakeTimelineStore implements TimelineStore {
  readonly deploys: Deploy[] = [];
  /** Every write, in order: `create`, `update <fields>`, `<phase> <outcome>`. */
  readonly writes: string[] = [];

  async create(deploy: NewDeploy): Promise<number> {
    const id = this.deploys.length + 1;
    this.deploys.push({ ...deploy, id, status: 'running', buildId: null, releaseVersion: null, endedAt: null, reason: null, phases: [] });
    this.writes.push('create');
    return id;
  }

  async update(id: number, patch: DeployPatch): Promise<void> {
    const deploy = this.byId(id);
    Object.assign(deploy, patch);
    this.writes.push(`update ${Object.keys(patch).join(',')}`);
  }

  async savePhase(deployId: number, phase: Phase): Promise<void> {
    const deploy = this.byId(deployId);
    deploy.phases = [...deploy.phases.filter((p) => p.name !== phase.name), { ...phase, lines: [...phase.lines] }]
      .sort((a, b) => PHASES.indexOf(a.name) - PHASES.indexOf(b.name));
    this.writes.push(`${phase.name} ${phase.outcome}`);
  }

  async list(appId: number, limit: number): Promise<Deploy[]> {
    return this.deploys.filter((d) => d.appId === appId).sort((a, b) => b.id - a.id).slice(0, limit).map(copy);
  }

  async forRelease(appId: number, version: number): Promise<Deploy | null> {
    const found = this.deploys.filter((d) => d.appId === appId && d.releaseVersion === version).sort((a, b) => b.id - a.id)[0];
    return found ? copy(found) : null;
  }

  async forBuild(buildId: string): Promise<Deploy | null> {
    const found = this.deploys.filter((d) => d.buildId === buildId).sort((a, b) => a.id - b.id)[0];
    return found ? copy(found) : null;
  }

  private byId(id: number): Deploy {
    const deploy = this.deploys.find((d) => d.id === id);
    if (!deploy) throw new Error(`no deploy ${id}`);
    return deploy;
  }
}

function copy(deploy: Deploy): Deploy {
  return { ...deploy, phases: deploy.phases.map((p) => ({ ...p, lines: [...p.lines] })) };
}
