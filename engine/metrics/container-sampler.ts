/**
 * Samples every app instance of this installation at most once per `minIntervalMs`: Prometheus
 * scrapes every 10 s, so Docker is asked once per scrape and never more often, however many
 * scrapes (or concurrent ones) arrive. Concurrent callers share the sample in flight.
 */
import type { ContainerSample } from './container-sample';

/** The port to Docker: every app instance of this installation, sampled once. */
export interface ContainerSampleSource {
  sampleAll(): Promise<ContainerSample[]>;
}

export class ContainerSampler {
  private last: { at: number; samples: ContainerSample[] } | null = null;
  private inFlight: Promise<ContainerSample[]> | null = null;

  constructor(
    private readonly source: ContainerSampleSource,
    /** Half the scrape interval: two scrapes of one round (or a retry) share one sample. */
    private readonly minIntervalMs = 5_000,
    private readonly now: () => number = Date.now,
  ) {}

  sample(): Promise<ContainerSample[]> {
    if (this.inFlight) return this.inFlight;
    if (this.last && this.now() - this.last.at < this.minIntervalMs) return Promise.resolve(this.last.samples);
    this.inFlight = this.source.sampleAll().then(
      (samples) => {
        this.last = { at: this.now(), samples };
        this.inFlight = null;
        return samples;
      },
      (error: unknown) => {
        this.inFlight = null;
        throw error;
      },
    );
    return this.inFlight;
  }
}
