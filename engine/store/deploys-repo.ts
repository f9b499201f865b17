/** The deploy timeline's store on knex (migration 010): the TimelineStore port of engine/deploy-timeline.ts. */
import type { Knex } from 'knex';
import { nullableDate as date } from './rows';
import { PHASES, type Deploy, type DeployKind, type DeployPatch, type DeployStatus, type NewDeploy, type Phase, type PhaseName, type PhaseOutcome, type TimelineStore } from '../deploy-timeline';


function phaseFromRow(row: Record<string, unknown>): Phase {
  let lines: string[] = [];
  try { lines = JSON.parse(String(row.lines)) as string[]; } catch { lines = []; }
  return {
    name: String(row.name) as PhaseName,
    outcome: String(row.outcome) as PhaseOutcome,
    startedAt: date(row.started_at),
    endedAt: date(row.ended_at),
    detail: row.detail === null || row.detail === undefined ? null : String(row.detail),
    reason: row.reason === null || row.reason === undefined ? null : String(row.reason),
    lines,
  };
}

function deployFromRow(row: Record<string, unknown>, phases: Phase[]): Deploy {
  return {
    id: Number(row.id),
    appId: Number(row.app_id),
    kind: String(row.kind) as DeployKind,
    status: String(row.status) as DeployStatus,
    commit: row.commit === null || row.commit === undefined ? null : String(row.commit),
    buildId: row.build_id === null || row.build_id === undefined ? null : String(row.build_id),
    releaseVersion: row.release_version === null || row.release_version === undefined ? null : Number(row.release_version),
    createdBy: row.created_by === null || row.created_by === undefined ? null : String(row.created_by),
    startedAt: date(row.started_at)!,
    endedAt: date(row.ended_at),
    reason: row.reason === null || row.reason === undefined ? null : String(row.reason),
    phases,
  };
}

export class DeploysRepo implements TimelineStore {
  constructor(private readonly db: Knex) {}

  async create(deploy: NewDeploy): Promise<number> {
    const [id] = await this.db('deploys').insert({
      app_id: deploy.appId, kind: deploy.kind, status: 'running', commit: deploy.commit, build_id: null, release_version: null,
      created_by: deploy.createdBy, started_at: deploy.startedAt, ended_at: null, reason: null,
    });
    return Number(id);
  }

  async update(id: number, patch: DeployPatch): Promise<void> {
    const row: Record<string, unknown> = {};
    if (patch.status !== undefined) row.status = patch.status;
    if (patch.buildId !== undefined) row.build_id = patch.buildId;
    if (patch.releaseVersion !== undefined) row.release_version = patch.releaseVersion;
    if (patch.endedAt !== undefined) row.ended_at = patch.endedAt;
    if (patch.reason !== undefined) row.reason = patch.reason;
    if (Object.keys(row).length > 0) await this.db('deploys').where({ id }).update(row);
  }

  async savePhase(deployId: number, phase: Phase): Promise<void> {
    const row = {
      deploy_id: deployId, name: phase.name, position: PHASES.indexOf(phase.name), outcome: phase.outcome,
      started_at: phase.startedAt, ended_at: phase.endedAt, detail: phase.detail?.slice(0, 300) ?? null,
      reason: phase.reason, lines: JSON.stringify(phase.lines),
    };
    await this.db('deploy_phases').insert(row).onConflict(['deploy_id', 'name']).merge();
  }

  async list(appId: number, limit: number): Promise<Deploy[]> {
    const rows = await this.db('deploys').where({ app_id: appId }).orderBy('id', 'desc').limit(limit);
    return this.withPhases(rows);
  }

  async forRelease(appId: number, version: number): Promise<Deploy | null> {
    const rows = await this.db('deploys').where({ app_id: appId, release_version: version }).orderBy('id', 'desc').limit(1);
    return (await this.withPhases(rows))[0] ?? null;
  }

  async forBuild(buildId: string): Promise<Deploy | null> {
    const rows = await this.db('deploys').where({ build_id: buildId }).orderBy('id', 'asc').limit(1);
    return (await this.withPhases(rows))[0] ?? null;
  }

  /** One query for the phases of all the rows (no query per deploy). */
  private async withPhases(rows: Record<string, unknown>[]): Promise<Deploy[]> {
    if (rows.length === 0) return [];
    const ids = rows.map((r) => Number(r.id));
    const phaseRows = await this.db('deploy_phases').whereIn('deploy_id', ids).orderBy('position');
    const byDeploy = new Map<number, Phase[]>();
    for (const row of phaseRows as Record<string, unknown>[]) {
      const id = Number(row.deploy_id);
      byDeploy.set(id, [...(byDeploy.get(id) ?? []), phaseFromRow(row)]);
    }
    return rows.map((row) => deployFromRow(row, byDeploy.get(Number(row.id)) ?? []));
  }
}
