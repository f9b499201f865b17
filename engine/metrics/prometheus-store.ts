/**
 * The port to the time-series database, and its adapter for Prometheus's HTTP API
 * (`POST /api/v1/query_range` and `/api/v1/query`, form-encoded). Read-only: Prometheus scrapes on its own.
 */
import { SlipwayError } from '../../lib/errors';
import type { QueryWindow } from './app-queries';

export interface RangeSeries {
  readonly labels: Readonly<Record<string, string>>;
  /** [unix seconds, value]; points Prometheus had no value for are absent, NaN ones dropped. */
  readonly points: Array<[number, number]>;
}

export interface InstantSeries {
  readonly labels: Readonly<Record<string, string>>;
  /** NaN when Prometheus had no figure (no request in the window: no latency). */
  readonly value: number;
}

export interface MetricsStore {
  queryRange(query: string, window: QueryWindow): Promise<RangeSeries[]>;
  /** The query's value at `time` (unix seconds, fractions kept). */
  queryInstant(query: string, time: number): Promise<InstantSeries[]>;
}

interface PrometheusAnswer {
  status?: string;
  error?: string;
  data?: { resultType?: string; result?: Array<{ metric?: Record<string, string>; values?: Array<[number, string]>; value?: [number, string] }> };
}

/** Prometheus's answer to a range query as series; anything else is an error that names it. */
export function seriesFromAnswer(answer: PrometheusAnswer): RangeSeries[] {
  if (answer.status !== 'success' || answer.data?.resultType !== 'matrix' || !Array.isArray(answer.data.result)) {
    throw new Error(`unexpected answer from Prometheus: ${answer.error ?? JSON.stringify(answer).slice(0, 200)}`);
  }
  return answer.data.result.map((series) => ({
    labels: series.metric ?? {},
    points: (series.values ?? [])
      .map(([time, value]): [number, number] => [Number(time), Number(value)])
      .filter(([, value]) => Number.isFinite(value)),
  }));
}

/** Prometheus's answer to an instant query as one value per series. */
export function valuesFromAnswer(answer: PrometheusAnswer): InstantSeries[] {
  if (answer.status !== 'success' || answer.data?.resultType !== 'vector' || !Array.isArray(answer.data.result)) {
    throw new Error(`unexpected answer from Prometheus: ${answer.error ?? JSON.stringify(answer).slice(0, 200)}`);
  }
  return answer.data.result.map((series) => ({ labels: series.metric ?? {}, value: Number(series.value?.[1]) }));
}

export class PrometheusStore implements MetricsStore {
  constructor(
    /** e.g. http://127.0.0.1:9090 */
    private readonly baseUrl: string,
    private readonly timeoutMs = 10_000,
  ) {}

  queryRange(query: string, window: QueryWindow): Promise<RangeSeries[]> {
    return this.ask('query_range', { query, start: String(window.start), end: String(window.end), step: String(window.step) }, seriesFromAnswer);
  }

  queryInstant(query: string, time: number): Promise<InstantSeries[]> {
    return this.ask('query', { query, time: time.toFixed(3) }, valuesFromAnswer);
  }

  private async ask<T>(endpoint: string, form: Record<string, string>, read: (answer: PrometheusAnswer) => T): Promise<T> {
    let answer: PrometheusAnswer;
    try {
      const response = await fetch(`${this.baseUrl}/api/v1/${endpoint}`, {
        method: 'POST',
        body: new URLSearchParams(form),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      answer = (await response.json()) as PrometheusAnswer;
    } catch (error) {
      throw new SlipwayError(
        'metrics_unavailable',
        `Prometheus at ${this.baseUrl} did not answer, so there are no metrics to show. Start it with scripts/start-services (its log is in the state dir's logs/prometheus.log).`,
        { cause: error },
      );
    }
    try {
      return read(answer);
    } catch (error) {
      throw new SlipwayError('metrics_unavailable', `Prometheus at ${this.baseUrl} could not answer a metrics query: ${(error as Error).message}`, { cause: error });
    }
  }
}
