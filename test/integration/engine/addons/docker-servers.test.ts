import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
/**
 * DockerAddonServers against dockerd, with the real add-on images (scripts/build-addon-images):
 * each kind is provisioned, used over its team's network by a real client, restarted, backed up,
 * verified in a scratch server, restored, rotated, and checked unreachable from another team.
 */
import crypto from 'node:crypto';
import { PassThrough, Readable, Writable } from 'node:stream';
import { gunzipSync, gzipSync } from 'node:zlib';
import { expect } from 'chai';
import Docker from 'dockerode';
import {
  ADDON_LABELS, DockerAddonServers, addonContainerName, addonVolumeName,
} from '../../../../engine/addons/docker-servers';
import {
  connectionUrl, generateCredentials, type AddonCredentials, type AddonEndpoint, type AddonKind,
} from '../../../../engine/addons/kinds';
import { dockerExec } from '../../../../engine/addons/docker-exec';
import { TOOL_LABEL } from '../../../../engine/addons/tool-containers';
import { teamNetworkName } from '../../../../lib/team-network';
import { uniqueName } from '../../../support/slipway';

const docker = new Docker({ socketPath: process.env.DOCKER_HOST?.replace(/^unix:\/\//, '') || '/var/run/docker.sock' });
const PLATFORM = `addons-test-${crypto.randomBytes(3).toString('hex')}`;

/** A team id no other test uses (networks are per team and shared by the Docker host). */
function teamId(): number {
  return 700_000 + crypto.randomInt(200_000);
}

interface ClientRun {
  exitCode: number;
  output: string;
}

/** Runs a client command in a throwaway container of the kind's image, on `network`. */
async function runClient(kind: AddonKind, network: string, cmd: string[]): Promise<ClientRun> {
  const container = await docker.createContainer({
    Image: `slipway/addon-${kind}:latest`,
    Cmd: cmd,
    User: 'nobody',
    WorkingDir: '/tmp',
    HostConfig: { NetworkMode: network, AutoRemove: false },
    Labels: { [ADDON_LABELS.platform]: PLATFORM },
  });
  try {
    await container.start();
    const { StatusCode } = (await container.wait()) as { StatusCode: number };
    const logs = await container.logs({ stdout: true, stderr: true, follow: false });
    return { exitCode: StatusCode, output: demux(logs) };
  } finally {
    await container.remove({ force: true });
  }
}

function demux(buffer: Buffer): string {
  const chunks: Buffer[] = [];
  for (let offset = 0; offset + 8 <= buffer.length;) {
    const size = buffer.readUInt32BE(offset + 4);
    chunks.push(buffer.subarray(offset + 8, offset + 8 + size));
    offset += 8 + size;
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** What each kind's client does over the network, with the URL's credentials. */
interface KindClient {
  /** Writes `rows` rows (or keys) of sample data. */
  write(endpointHost: string, credentials: AddonCredentials, rows: number): string[];
  /** Prints the number of rows (or keys) of sample data. */
  count(endpointHost: string, credentials: AddonCredentials): string[];
  /** Drops the sample data. */
  drop(endpointHost: string, credentials: AddonCredentials): string[];
  /** Writes a few tens of megabytes of incompressible-ish data. */
  bulk(endpointHost: string, credentials: AddonCredentials): string[];
  /** One bounded connection attempt to an address. */
  probe(address: string, credentials: AddonCredentials): string[];
}

const clients: Record<AddonKind, KindClient> = {
  postgresql: {
    write: (host, c, rows) => ['psql', url('postgresql', host, c), '-v', 'ON_ERROR_STOP=1', '-c',
      `CREATE TABLE IF NOT EXISTS items (id serial PRIMARY KEY, label text); INSERT INTO items (label) SELECT 'item ' || g FROM generate_series(1, ${rows}) g;`],
    count: (host, c) => ['psql', url('postgresql', host, c), '-At', '-c', 'SELECT count(*) FROM items'],
    drop: (host, c) => ['psql', url('postgresql', host, c), '-v', 'ON_ERROR_STOP=1', '-c', 'DROP TABLE items'],
    bulk: (host, c) => ['psql', url('postgresql', host, c), '-v', 'ON_ERROR_STOP=1', '-c',
      'CREATE TABLE bulk AS SELECT g AS id, md5(g::text) || md5((g * 7)::text) AS a FROM generate_series(1, 400000) g'],
    probe: (address, c) => ['psql', `postgres://${c.user}:${c.password}@${address}:5432/${c.database}?connect_timeout=3`, '-c', 'SELECT 1'],
  },
  mysql: {
    write: (host, c, rows) => [...mariadb(host, c), '-e',
      `CREATE TABLE IF NOT EXISTS items (id INT AUTO_INCREMENT PRIMARY KEY, label TEXT); INSERT INTO items (label) SELECT CONCAT('item ', seq) FROM seq_1_to_${rows};`],
    count: (host, c) => [...mariadb(host, c), '-N', '-e', 'SELECT COUNT(*) FROM items'],
    drop: (host, c) => [...mariadb(host, c), '-e', 'DROP TABLE items'],
    bulk: (host, c) => [...mariadb(host, c), '-e',
      'CREATE TABLE bulk AS SELECT seq AS id, CONCAT(MD5(seq), MD5(seq * 7)) AS a FROM seq_1_to_400000'],
    probe: (address, c) => [...mariadb(address, c), '-e', 'SELECT 1'],
  },
  redis: {
    write: (host, c, rows) => ['sh', '-c', `for i in $(seq 1 "$1"); do echo "SET item:${crypto.randomBytes(4).toString('hex')}:$i v$i"; done | redis-cli --no-auth-warning -u "$0" >/dev/null`,
      url('redis', host, c), String(rows)],
    count: (host, c) => ['redis-cli', '--no-auth-warning', '-u', url('redis', host, c), 'DBSIZE'],
    drop: (host, c) => ['sh', '-c', 'redis-cli --no-auth-warning -u "$0" --scan --pattern "item:*" | xargs redis-cli --no-auth-warning -u "$0" DEL',
      url('redis', host, c)],
    bulk: (host, c) => ['sh', '-c', 'seq 1 400000 | awk \'BEGIN { srand() } { printf "SET bulk:%d %s%s%s%s%s\\n", $1, rand(), rand(), rand(), rand(), rand() }\' | redis-cli --no-auth-warning -u "$0" >/dev/null',
      url('redis', host, c)],
    probe: (address, c) => ['timeout', '5', 'redis-cli', '--no-auth-warning', '-u', `redis://${c.user}:${c.password}@${address}:6379`, 'PING'],
  },
};

function url(kind: AddonKind, host: string, credentials: AddonCredentials): string {
  const ports: Record<AddonKind, number> = { postgresql: 5432, mysql: 3306, redis: 6379 };
  return connectionUrl(kind, { host, port: ports[kind] }, credentials);
}

function mariadb(host: string, c: AddonCredentials): string[] {
  return ['mariadb', '--no-defaults', '-h', host, '-u', c.user, `-p${c.password}`, '--connect-timeout=3', '-D', c.database];
}

async function collect(run: (out: PassThrough) => Promise<unknown>): Promise<Buffer> {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (chunk: Buffer) => chunks.push(chunk));
  await run(out);
  return Buffer.concat(chunks);
}

for (const kind of ['redis', 'postgresql', 'mysql'] as const) {
  describe(`engine/addons DockerAddonServers: ${kind} against dockerd`, function () {
    this.timeout(300_000);
    const servers = new DockerAddonServers(docker, { platformId: PLATFORM });
    const name = uniqueName(`t${kind.slice(0, 2)}`);
    const team = teamId();
    const network = teamNetworkName(team);
    const otherNetwork = teamNetworkName(team + 1);
    const credentials = generateCredentials(name);
    const client = clients[kind];
    let endpoint: AddonEndpoint;
    /** The credentials in use (rotation changes them). */
    let current = credentials;

    async function expectCount(expected: number, using = credentials): Promise<void> {
      const run = await runClient(kind, network, client.count(endpoint.host, using));
      expect(run.output.trim(), run.output).to.equal(String(expected));
    }

    before(async () => {
      await docker.createNetwork({ Name: otherNetwork, Driver: 'bridge', Labels: { [ADDON_LABELS.platform]: PLATFORM } });
    });

    after(async () => {
      await servers.remove(name, { keepVolume: false });
      for (const net of [network, otherNetwork]) await docker.getNetwork(net).remove().catch(() => undefined);
    });

    it('ensure converges on one container, twice at once and once more, and the credentials work over the team network', async () => {
      const phases: string[] = [];
      const spec = { addonName: name, kind, teamId: team, plan: 'small' as const, credentials };
      const [first, second] = await Promise.all([servers.ensure(spec, (p) => phases.push(p.phase)), servers.ensure(spec)]);
      endpoint = await servers.ensure(spec);
      expect(first).to.deep.equal(second);
      expect(endpoint).to.deep.equal({ host: name, port: { postgresql: 5432, mysql: 3306, redis: 6379 }[kind] });
      expect(phases).to.include('healthy');
      const containers = await docker.listContainers({ all: true, filters: { label: [`${ADDON_LABELS.addon}=${name}`] } });
      expect(containers.map((c) => c.Names[0])).to.deep.equal([`/${addonContainerName(name)}`]);
      expect(await servers.status(name)).to.equal('running');
      const listed = (await servers.list()).find((s) => s.addonName === name);
      expect(listed).to.deep.include({ kind, teamId: team, plan: 'small', state: 'running' });

      const write = await runClient(kind, network, client.write(endpoint.host, credentials, 25));
      expect(write.exitCode, write.output).to.equal(0);
      await expectCount(25);
    });

    it('runs unprivileged, with limits, no published port, and no secret in its configuration', async () => {
      const info = await docker.getContainer(addonContainerName(name)).inspect();
      expect(info.Config.User).to.not.equal('').and.not.equal('root');
      expect(info.HostConfig.CapDrop).to.deep.equal(['ALL']);
      expect(info.HostConfig.Memory).to.equal(256 * 1024 * 1024);
      expect(info.HostConfig.PidsLimit).to.be.greaterThan(0);
      expect(info.HostConfig.PortBindings ?? {}).to.deep.equal({});
      expect(info.Mounts.map((m) => m.Name)).to.include(addonVolumeName(name));
      expect(JSON.stringify(info)).to.not.include(credentials.password);
    });

    it('keeps its data across a restart of the container', async () => {
      await docker.getContainer(addonContainerName(name)).restart({ t: 30 });
      await servers.ensure({ addonName: name, kind, teamId: team, plan: 'small', credentials });
      await expectCount(25);
    });

    it('is unreachable from a container on another team\'s network (one bounded attempt)', async () => {
      const info = await docker.getContainer(addonContainerName(name)).inspect();
      const address = info.NetworkSettings.Networks[network]?.IPAddress;
      expect(address).to.be.a('string').and.not.equal('');
      const byAddress = await runClient(kind, otherNetwork, client.probe(address as string, credentials));
      expect(byAddress.exitCode, byAddress.output).to.not.equal(0);
      const byName = await runClient(kind, otherNetwork, client.probe(name, credentials));
      expect(byName.exitCode, byName.output).to.not.equal(0);
    });

    it('backs up, verifies in a scratch server, and restores after the data is dropped', async () => {
      const backup = await collect((out) => servers.backup(name, out).then((result) => {
        expect(result.format).to.include('gzip');
      }));
      expect(backup.subarray(0, 2)).to.deep.equal(Buffer.from([0x1f, 0x8b]));
      // It came through a named pipe in the volume, which is gone afterwards; the exec stream
      // (a remote Docker's way) makes the same dump.
      const info = await docker.getContainer(addonContainerName(name)).inspect();
      const volume = info.Mounts.find((m) => m.Type === 'volume')!.Source!;
      expect(fs.readdirSync(volume).filter((f) => /^\.slipway-(dump|pgpass)-/.test(f))).to.deep.equal([]);
      const viaExec = new DockerAddonServers(docker, { platformId: PLATFORM, dumpThroughVolume: false });
      const execBackup = await collect((out) => viaExec.backup(name, out));

      // The verification counts what the dump holds as it loads, and finds it in the scratch server.
      const verified = await servers.verify(kind, Readable.from([backup]));
      expect(verified.error, verified.error).to.equal(undefined);
      expect(verified).to.include({ ok: true });
      expect(verified.mismatches).to.deep.equal([]);
      expect(Object.values(verified.expected ?? {})).to.include(25);
      expect(verified.actual).to.deep.equal(verified.expected);
      expect((await servers.verify(kind, Readable.from([execBackup]))).expected).to.deep.equal(verified.expected);
      const scratch = await docker.listContainers({ all: true, filters: { label: [`${ADDON_LABELS.platform}=${PLATFORM}`, ADDON_LABELS.scratch] } });
      expect(scratch).to.have.length(0);

      const drop = await runClient(kind, network, client.drop(endpoint.host, credentials));
      expect(drop.exitCode, drop.output).to.equal(0);
      await servers.restore(name, Readable.from([backup]));
      await expectCount(25);
      // From the backup's file, as the backups service restores a verified backup (a gzip of its
      // own reads it; PostgreSQL loads it with a psql in a tool container beside the server).
      const file = path.join(os.tmpdir(), `${name}-backup.gz`);
      fs.writeFileSync(file, backup, { mode: 0o600 });
      try {
        expect((await runClient(kind, network, client.drop(endpoint.host, credentials))).exitCode).to.equal(0);
        await servers.restore(name, { file, verified: true });
        await expectCount(25);
        expect((await runClient(kind, network, client.drop(endpoint.host, credentials))).exitCode).to.equal(0);
        await servers.restore(name, { file });
        await expectCount(25);
      } finally {
        fs.rmSync(file, { force: true });
      }
      // Nothing of the restore is left: no pipe or password file in the volume, no tool container, no load role.
      expect(fs.readdirSync(volume).filter((f) => /^\.slipway-(dump|pgpass)-/.test(f))).to.deep.equal([]);
      const tools = await docker.listContainers({ all: true, filters: { label: [`${ADDON_LABELS.platform}=${PLATFORM}`, TOOL_LABEL] } });
      expect(tools).to.have.length(0);
      if (kind === 'postgresql') {
        const roles = await dockerExec(docker)(addonContainerName(name), { user: 'postgres', cmd: ['psql', '-X', '-At', '-h', '/run/postgresql', '-d', 'postgres', '-c', "SELECT count(*) FROM pg_roles WHERE rolname LIKE 'slipway_load_%'"] });
        expect(roles.stdout.trim()).to.equal('0');
      }
    });
    // An RDB file carries data only; a SQL dump can carry a statement that deletes a row it loaded.
    if (kind !== 'redis') it('fails verification of a complete backup whose load does not hold what its dump says', async () => {
      const dump = gunzipSync(await collect((out) => servers.backup(name, out))).toString('utf8');
      const mark = kind === 'postgresql' ? '\n-- PostgreSQL database dump complete' : '\n-- Dump completed';
      const at = dump.lastIndexOf(mark);
      expect(at).to.be.greaterThan(0);
      // (pg_dump empties the search path: the table by its schema.)
      const table = kind === 'postgresql' ? 'public.items' : 'items';
      const cut = `${dump.slice(0, at + 1)}DELETE FROM ${table} WHERE id = (SELECT min(id) FROM ${table});\n${dump.slice(at + 1)}`;
      const result = await servers.verify(kind, Readable.from([gzipSync(cut)]));
      expect(result.ok).to.equal(false);
      expect(result.mismatches.join('\n'), result.error).to.match(/expected 25 rows, found 24/);
      expect(Object.values(result.expected ?? {})).to.include(25);
    });

    it('fails verification of a corrupted or truncated backup, and refuses to restore it', async () => {
      const backup = await collect((out) => servers.backup(name, out));
      const corrupted = Buffer.from(backup);
      for (let i = Math.floor(corrupted.length / 2); i < Math.floor(corrupted.length / 2) + 16 && i < corrupted.length - 8; i++) corrupted[i] ^= 0x5a;
      const truncated = backup.subarray(0, Math.floor(backup.length * 0.6));
      for (const bad of [corrupted, truncated]) {
        const result = await servers.verify(kind, Readable.from([bad]));
        expect(result.ok).to.equal(false);
        expect(result.error ?? result.mismatches.join(' ')).to.not.equal('');
        let refused: unknown = null;
        await servers.restore(name, Readable.from([bad])).catch((error: unknown) => { refused = error; });
        expect(refused).to.be.instanceOf(Error);
        await expectCount(25);
        const file = path.join(os.tmpdir(), `${name}-bad.gz`);
        fs.writeFileSync(file, bad, { mode: 0o600 });
        // Whether or not it claims a verification: gzip's own checks catch the change.
        for (const verified of [false, true]) {
          refused = null;
          await servers.restore(name, { file, verified }).catch((error: unknown) => { refused = error; });
          expect(refused, `a bad backup file must be refused (verified: ${verified})`).to.be.instanceOf(Error);
          await expectCount(25);
        }
        fs.rmSync(file, { force: true });
      }
    });

    it('refuses a complete backup that fails to load, leaving the data as it was', async () => {
      const dump = gunzipSync(await collect((out) => servers.backup(name, out)));
      let broken: Buffer;
      if (kind === 'redis') {
        // A flipped byte in the middle of the RDB: its checksum no longer matches.
        broken = Buffer.from(dump);
        broken[Math.floor(broken.length / 2)] ^= 0x01;
      } else {
        // A statement that fails, before the first table: complete (its completion mark is there) yet unloadable.
        const text = dump.toString('utf8');
        const at = text.indexOf('\nCREATE TABLE');
        expect(at).to.be.greaterThan(0);
        broken = Buffer.from(`${text.slice(0, at + 1)}SELECT * FROM slipway_no_such_table;\n${text.slice(at + 1)}`);
      }
      let refused: unknown = null;
      await servers.restore(name, Readable.from([gzipSync(broken)])).catch((error: unknown) => { refused = error; });
      expect(refused, 'the restore must fail').to.be.instanceOf(Error);
      await expectCount(25);
      // The same from a file (PostgreSQL: its loader in a tool container), saying what failed.
      const file = path.join(os.tmpdir(), `${name}-unloadable.gz`);
      fs.writeFileSync(file, gzipSync(broken), { mode: 0o600 });
      refused = null;
      await servers.restore(name, { file, verified: true }).catch((error: unknown) => { refused = error; }).finally(() => fs.rmSync(file, { force: true }));
      expect(refused, 'the restore from a file must fail').to.be.instanceOf(Error);
      if (kind !== 'redis') expect((refused as Error).message).to.include('slipway_no_such_table');
      await expectCount(25);
    });

    it('rotates credentials: old and new work side by side, then the old stops working', async () => {
      const next = generateCredentials(name, credentials.database);
      await servers.rotateCredentials(name, next);
      await expectCount(25, next);
      await expectCount(25, credentials);
      await servers.revokeCredentials(name, credentials);
      await expectCount(25, next);
      const old = await runClient(kind, network, client.count(endpoint.host, credentials));
      expect(old.output.trim()).to.not.equal('25');
      // Objects created by one credential stay usable by the next one.
      const more = await runClient(kind, network, client.write(endpoint.host, next, 5));
      expect(more.exitCode, more.output).to.equal(0);
      await expectCount(30, next);
      current = next;
    });

    it('fails a backup of a server that stops mid-dump', async () => {
      // A dataset larger than every buffer between the dump tool and us, so that holding the
      // first write keeps the dump running until the server is killed.
      const big = await runClient(kind, network, client.bulk(endpoint.host, current));
      expect(big.exitCode, big.output).to.equal(0);
      let killed = false;
      const out = new Writable({
        write(_chunk, _encoding, callback) {
          if (killed) return callback();
          killed = true;
          docker.getContainer(addonContainerName(name)).kill().then(() => callback(), (error: Error) => callback(error));
        },
      });
      let failure: unknown = null;
      await servers.backup(name, out).catch((error: unknown) => { failure = error; });
      expect(killed).to.equal(true);
      expect(failure, 'the backup must be reported failed').to.be.instanceOf(Error);
    });
  });
}

describe('engine/addons DockerAddonServers: scratch servers left behind', function () {
  this.timeout(120_000);

  it('removes a scratch server no verification uses once past the grace period, with its volume', async () => {
    // What a crash of Slipway mid-verify leaves: a scratch container and its volume, no network.
    const name = `verify-${crypto.randomBytes(6).toString('hex')}`;
    await docker.createVolume({ Name: addonVolumeName(name), Labels: { [ADDON_LABELS.platform]: PLATFORM } });
    await docker.createContainer({
      name: addonContainerName(name),
      Image: 'slipway/addon-redis:latest',
      Cmd: ['sleep', '600'],
      Labels: {
        [ADDON_LABELS.addon]: name, [ADDON_LABELS.kind]: 'redis', [ADDON_LABELS.plan]: 'medium',
        [ADDON_LABELS.scratch]: 'true', [ADDON_LABELS.platform]: PLATFORM,
      },
      HostConfig: { NetworkMode: 'none', Mounts: [{ Type: 'volume', Source: addonVolumeName(name), Target: '/var/lib/slipway-addon' }] },
    });
    try {
      expect(await new DockerAddonServers(docker, { platformId: PLATFORM }).removeStaleScratch()).to.deep.equal([]);
      expect(await new DockerAddonServers(docker, { platformId: `${PLATFORM}-other`, scratchGraceMs: 0 }).removeStaleScratch()).to.deep.equal([]);
      expect(await new DockerAddonServers(docker, { platformId: PLATFORM, scratchGraceMs: 0 }).removeStaleScratch()).to.deep.equal([name]);
      expect(await docker.getContainer(addonContainerName(name)).inspect().then(() => 'present', () => 'gone')).to.equal('gone');
      expect(await docker.getVolume(addonVolumeName(name)).inspect().then(() => 'present', () => 'gone')).to.equal('gone');
    } finally {
      await docker.getContainer(addonContainerName(name)).remove({ force: true }).catch(() => undefined);
      await docker.getVolume(addonVolumeName(name)).remove().catch(() => undefined);
    }
  });

  it('removes a tool container a crash left (a loader waiting on a pipe), once past the grace period', async () => {
    const tool = await docker.createContainer({
      name: `slipway-addon-lost-${crypto.randomBytes(4).toString('hex')}-tool`,
      Image: 'slipway/addon-redis:latest',
      Cmd: ['sleep', '600'],
      Labels: { [TOOL_LABEL]: 'slipway-addon-lost', [ADDON_LABELS.platform]: PLATFORM },
      HostConfig: { NetworkMode: 'none' },
    });
    try {
      await tool.start();
      await new DockerAddonServers(docker, { platformId: PLATFORM }).removeStaleScratch();
      await new DockerAddonServers(docker, { platformId: `${PLATFORM}-other`, scratchGraceMs: 0 }).removeStaleScratch();
      expect(await tool.inspect().then(() => 'present', () => 'gone'), 'within the grace period, or of another platform').to.equal('present');
      await new DockerAddonServers(docker, { platformId: PLATFORM, scratchGraceMs: 0 }).removeStaleScratch();
      expect(await tool.inspect().then(() => 'present', () => 'gone')).to.equal('gone');
    } finally {
      await tool.remove({ force: true }).catch(() => undefined);
    }
  });
});
