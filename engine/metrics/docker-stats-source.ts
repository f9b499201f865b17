/**
 * The container exporter's adapter to Docker (dockerode): lists this installation's app
 * containers by label, then per container one `inspect` (restarts, memory limit) and, when it
 * runs, one one-shot `stats` reading (Docker answers at once instead of waiting a second for a
 * second CPU reading: CPU is reported as a counter and Prometheus takes its rate).
 */
import type Docker from 'dockerode';
import { LABELS } from '../drivers/docker-driver';
import { identityFromLabels, sampleOf, type ContainerSample, type DockerStats } from './container-sample';
import type { ContainerSampleSource } from './container-sampler';

export class DockerStatsSource implements ContainerSampleSource {
  constructor(
    private readonly docker: Docker,
    private readonly platformId: string,
  ) {}

  async sampleAll(): Promise<ContainerSample[]> {
    const containers = await this.docker.listContainers({
      all: true,
      filters: { label: [`${LABELS.platform}=${this.platformId}`, LABELS.app], status: ['running', 'restarting'] },
    });
    const samples = await Promise.all(containers.map(async (summary) => {
      const identity = identityFromLabels(summary.Labels);
      if (!identity) return null;
      const container = this.docker.getContainer(summary.Id);
      try {
        const info = await container.inspect();
        const running = info.State.Running && !info.State.Restarting;
        const stats = running ? ((await container.stats({ stream: false, 'one-shot': true })) as unknown as DockerStats) : null;
        return sampleOf(identity, { restartCount: info.RestartCount ?? 0, memoryLimitBytes: info.HostConfig.Memory ?? 0 }, stats);
      } catch (error) {
        // Removed between the list and the reading (a deploy retiring it): not an error of the scrape.
        if ((error as { statusCode?: number }).statusCode === 404) return null;
        throw error;
      }
    }));
    return samples.filter((sample): sample is ContainerSample => sample !== null);
  }
}
