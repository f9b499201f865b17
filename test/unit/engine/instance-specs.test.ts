import { expect } from 'chai';
import { instanceSpecs, type DeployRequest } from '../../../engine/deployer';
import { DEFAULT_FORMATION, DEFAULT_SIZE, type Build, type FormationEntry, type ProcessTypes, type Release } from '../../../engine/model';
import { SlipwayError } from '../../../lib/errors';

const IMAGE = '127.0.0.1:5000/shop@sha256:' + 'c'.repeat(64);

function release(version: number, config: Record<string, string> = {}): Release {
  return {
    id: 10 + version, appId: 1, version, buildId: 'b1', config, description: 'Deploy 1a2b3c4',
    status: 'pending', failureReason: null, createdAt: new Date(0),
  };
}

function build(processTypes: ProcessTypes, image: string | null = IMAGE): Build {
  return {
    id: 'b1', appId: 1, status: 'succeeded', commit: '1a2b3c4d', image, digest: null, processTypes,
    log: '', durationMs: 1, appJson: null, createdAt: new Date(0),
  };
}

function request(processTypes: ProcessTypes, formation: readonly FormationEntry[], config: Record<string, string> = {}): DeployRequest {
  return { app: 'shop', release: release(4, config), build: build(processTypes), formation };
}

describe('engine/deployer instanceSpecs', () => {
  it('starts one web instance for the default formation', () => {
    const specs = instanceSpecs(request({ web: 'npm start', worker: 'node worker.js' }, DEFAULT_FORMATION), 5000);
    expect(specs).to.deep.equal([{
      app: 'shop', release: 4, process: 'web', image: IMAGE, command: 'npm start',
      env: { SLIPWAY_RELEASE: 'v4', DYNO: 'web.1' }, port: 5000, memoryMb: 512, cpu: 0.5,
    }]);
  });

  it('starts formation × process types, numbering the instances of each type', () => {
    const specs = instanceSpecs(
      request({ web: 'npm start', worker: 'node worker.js' }, [{ type: 'web', quantity: 2, ...DEFAULT_SIZE }, { type: 'worker', quantity: 3, ...DEFAULT_SIZE }]),
      5000,
    );
    expect(specs.map((s) => [s.process, s.command, s.env.DYNO])).to.deep.equal([
      ['web', 'npm start', 'web.1'],
      ['web', 'npm start', 'web.2'],
      ['worker', 'node worker.js', 'worker.1'],
      ['worker', 'node worker.js', 'worker.2'],
      ['worker', 'node worker.js', 'worker.3'],
    ]);
    expect(specs.every((s) => s.image === IMAGE && s.release === 4 && s.port === 5000 && s.app === 'shop')).to.equal(true);
  });

  it('starts nothing for a process type scaled to 0', () => {
    const specs = instanceSpecs(request({ web: 'npm start', worker: 'node worker.js' }, [{ type: 'web', quantity: 1, ...DEFAULT_SIZE }, { type: 'worker', quantity: 0, ...DEFAULT_SIZE }]), 5000);
    expect(specs.map((s) => s.process)).to.deep.equal(['web']);
  });

  it('runs a Dockerfile app without Procfile as web with the image\'s own command (command null)', () => {
    const specs = instanceSpecs(request({}, DEFAULT_FORMATION), 5000);
    expect(specs).to.have.length(1);
    expect(specs[0]).to.include({ process: 'web', command: null, image: IMAGE });
  });

  it('starts no instance for a formation type the app does not declare', () => {
    expect(instanceSpecs(request({ web: 'npm start' }, [{ type: 'web', quantity: 1, ...DEFAULT_SIZE }, { type: 'clock', quantity: 2, ...DEFAULT_SIZE }]), 5000)
      .map((s) => s.process)).to.deep.equal(['web']);
    // Only web gets the image's own command; other types need a Procfile entry.
    expect(instanceSpecs(request({}, [{ type: 'worker', quantity: 1, ...DEFAULT_SIZE }]), 5000)).to.deep.equal([]);
    // An app that declares processes but no web gets no web instance.
    expect(instanceSpecs(request({ worker: 'node w.js' }, DEFAULT_FORMATION), 5000)).to.deep.equal([]);
  });

  it('gives each instance the release\'s config vars plus SLIPWAY_RELEASE, which config cannot override', () => {
    const config = { DATABASE_URL: 'postgres://db/shop', NODE_ENV: 'production', SLIPWAY_RELEASE: 'forged' };
    const [spec] = instanceSpecs(request({ web: 'npm start' }, DEFAULT_FORMATION, config), 5000);
    expect(spec?.env).to.deep.equal({
      DATABASE_URL: 'postgres://db/shop', NODE_ENV: 'production', SLIPWAY_RELEASE: 'v4', DYNO: 'web.1',
    });
  });

  it('refuses to deploy a build without an image', () => {
    const req: DeployRequest = { app: 'shop', release: release(1), build: build({ web: 'x' }, null), formation: DEFAULT_FORMATION };
    expect(() => instanceSpecs(req, 5000)).to.throw(SlipwayError, 'build b1 has no image')
      .with.property('code', 'deploy_failed');
  });
});
