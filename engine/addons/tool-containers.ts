/**
 * A tool of an add-on's server (psql loading a backup) run in a short-lived container of its own
 * beside the server, instead of `docker exec` inside it: a process exec'd into the server's
 * container shares the server's CPU quota, and a restore's loader took a fifth of what the server
 * needed to load the rows. The tool container has the server's image (the same client version),
 * the server's network namespace (it reaches the server on 127.0.0.1, and nothing the server could
 * not), its data volume (for the dump's pipe and a password file), and a quota as large as the
 * plan's. Like the servers it runs as the image's unprivileged user, with no capability and a
 * read-only root.
 */
import { randomBytes } from 'node:crypto';
import type Docker from 'dockerode';
import { demultiplex } from '../../lib/docker-output';
import type { ExecResult } from './docker-exec';

export interface ToolRequest {
  user: string;
  cmd: string[];
  /** `NAME=value` pairs; never a secret (they are part of the container's configuration). */
  env: string[];
  /**
   * Started once this settles (created meanwhile: a container's creation is a tenth of a second
   * the caller's own preparations can hide); when it rejects, nothing runs and that is the error.
   */
  startAfter?: Promise<unknown>;
}

/** Runs `request` beside the running server `container` until it exits; its stdout and stderr come back. */
export type ToolFn = (container: string, request: ToolRequest) => Promise<ExecResult>;

export const TOOL_LABEL = 'slipway.addon.tool';
const MEMORY = 256 * 1024 * 1024;
const OUTPUT_LIMIT = 16 * 1024;

export function toolContainers(docker: Docker, labels: Record<string, string>, dataDir: string): ToolFn {
  return async (container, request) => {
    request.startAfter?.catch(() => undefined); // awaited below, once the container exists
    const server = await docker.getContainer(container).inspect();
    const volume = (server.Mounts ?? []).find((m) => m.Destination === dataDir && m.Type === 'volume');
    if (!volume?.Name) throw new Error(`${container} has no data volume at ${dataDir}`);
    const tool = await docker.createContainer({
      name: `${server.Name.replace(/^\//, '')}-tool-${randomBytes(4).toString('hex')}`,
      Image: server.Image,
      User: request.user,
      Entrypoint: [request.cmd[0]!],
      Cmd: request.cmd.slice(1),
      Env: request.env,
      WorkingDir: dataDir,
      Labels: { ...labels, [TOOL_LABEL]: server.Name.replace(/^\//, '') },
      HostConfig: {
        NetworkMode: `container:${server.Id}`,
        Mounts: [{ Type: 'volume', Source: volume.Name, Target: dataDir }],
        NanoCpus: server.HostConfig.NanoCpus ?? 1e9,
        Memory: MEMORY,
        MemorySwap: MEMORY,
        PidsLimit: 64,
        CapDrop: ['ALL'],
        SecurityOpt: ['no-new-privileges'],
        ReadonlyRootfs: true,
        Tmpfs: { '/tmp': 'rw,nosuid,nodev,mode=1777,size=16m' },
        RestartPolicy: { Name: 'no' },
        LogConfig: { Type: 'json-file', Config: { 'max-size': '1m', 'max-file': '1' } },
      },
    });
    try {
      await request.startAfter;
      await tool.start();
      const { StatusCode } = (await tool.wait()) as { StatusCode: number };
      const [stdout, stderr] = await Promise.all([output(tool, 'stdout'), output(tool, 'stderr')]);
      return { exitCode: StatusCode, stdout, stderr };
    } finally {
      await tool.remove({ force: true }).catch(() => undefined);
    }
  };
}

/** One of the tool's streams, from its log. */
async function output(tool: Docker.Container, stream: 'stdout' | 'stderr'): Promise<string> {
  const framed = (await tool.logs({ stdout: stream === 'stdout', stderr: stream === 'stderr', follow: false })) as unknown as Buffer;
  return demultiplex(framed).slice(-OUTPUT_LIMIT);
}
