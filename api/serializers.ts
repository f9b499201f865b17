/** Model → JSON shapes of the REST API (docs/contracts/api.md). */
import type { AppAddresses, AppInfo } from '../engine/apps-service';
import type { App, Build, Release, SshKey } from '../engine/model';
import type { Instance } from '../engine/runtime-driver';

export function appJson(app: App, addresses: AppAddresses, team?: string) {
  return {
    name: app.name,
    ...(team ? { team } : {}),
    url: addresses.urlFor(app.name),
    gitUrl: addresses.gitUrlFor(app.name),
    createdAt: app.createdAt.toISOString(),
    currentRelease: app.currentRelease,
  };
}

export function releaseJson(release: Release, currentVersion: number | null, commit: string | null) {
  return {
    version: release.version,
    description: release.description,
    status: release.status,
    current: release.version === currentVersion,
    buildId: release.buildId,
    commit,
    failureReason: release.failureReason,
    createdAt: release.createdAt.toISOString(),
    createdBy: release.createdBy ?? null,
  };
}

export function instanceJson(instance: Instance) {
  return {
    id: instance.id,
    type: instance.process,
    state: instance.state,
    release: instance.release,
    url: instance.url,
    startedAt: instance.startedAt?.toISOString() ?? null,
    restartCount: instance.restartCount,
  };
}

export function appInfoJson(info: AppInfo, addresses: AppAddresses, commit: string | null) {
  return {
    ...appJson(info.app, addresses),
    formation: info.formation,
    instances: info.instances.map(instanceJson),
    release: info.release ? releaseJson(info.release, info.app.currentRelease, commit) : null,
  };
}

export function buildJson(build: Build) {
  return {
    id: build.id,
    status: build.status,
    commit: build.commit,
    image: build.image,
    digest: build.digest,
    processTypes: build.processTypes,
    durationMs: build.durationMs,
    imageSize: build.imageSize ?? null,
    sourceImage: build.sourceImage ?? null,
    buildpacks: build.buildpacks ?? [],
    createdAt: build.createdAt.toISOString(),
    createdBy: build.createdBy ?? null,
  };
}

export function keyJson(key: SshKey) {
  return { id: key.id, name: key.name, fingerprint: key.fingerprint, createdAt: key.createdAt.toISOString() };
}
