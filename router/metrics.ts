/**
 * Prometheus metrics of the router, without a client library: a few counters and histograms
 * updated on the request path (a Map read and an add each), gauges read from the table and the
 * route source when scraped, and the text exposition format (version 0.0.4) written by hand.
 *
 * With several router processes each one keeps its own numbers. On a scrape the primary asks every
 * worker for a snapshot (plain JSON over the cluster IPC channel) and merges them: counters and
 * histograms are summed, gauges are summed or maxed, or labelled per worker, as each family says.
 */

export type MetricType = 'counter' | 'gauge' | 'histogram';
/** How a family from several processes becomes one: add them up, keep the largest, or label each with its worker. */
export type MergeRule = 'sum' | 'max' | 'worker';
export type Labels = Readonly<Record<string, string>>;

export interface Sample {
  readonly labels: Labels;
  readonly value: number;
}

export interface HistogramSample {
  readonly labels: Labels;
  /** Observations per bucket (not cumulative); one more entry than `bounds`, for +Inf. */
  readonly counts: readonly number[];
  readonly sum: number;
  readonly count: number;
}

export type MetricFamily =
  | { readonly name: string; readonly help: string; readonly type: 'counter' | 'gauge'; readonly merge: MergeRule; readonly samples: readonly Sample[] }
  | {
      readonly name: string;
      readonly help: string;
      readonly type: 'histogram';
      readonly merge: 'sum';
      readonly bounds: readonly number[];
      readonly samples: readonly HistogramSample[];
    };

/**
 * Request latency buckets, in seconds, from a cached page (1 ms) to past the 30 s response
 * timeout: 14 per decade, each bound at most 1.19 times the one before. Prometheus reads a quantile
 * by interpolating inside its bucket, so its error is at most the bucket's width: for the median,
 * half of it, under 10 % wherever the requests fall (docs/metrics.md). The coarser 1-2.5-5 series
 * this replaces put a 55 ms median at 75 ms.
 */
export const LATENCY_BUCKETS: readonly number[] = latencyBuckets();

function latencyBuckets(): number[] {
  const bounds: number[] = [];
  for (let exponent = -3; exponent <= 1; exponent += 1) {
    for (let step = 0; step < 14; step += 1) {
      const bound = Number(((10 ** (step / 14)) * 10 ** exponent).toPrecision(3));
      if (bound < 60) bounds.push(bound);
    }
  }
  return [...bounds, 60];
}

export class Histogram {
  readonly counts: number[];
  sum = 0;
  count = 0;

  constructor(readonly bounds: readonly number[] = LATENCY_BUCKETS) {
    this.counts = new Array<number>(bounds.length + 1).fill(0);
  }

  observe(value: number): void {
    // The first bound at or above the value (Prometheus's `le`), by bisection: there are 68.
    const { bounds } = this;
    let low = 0;
    let high = bounds.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (value > (bounds[middle] as number)) low = middle + 1;
      else high = middle;
    }
    const i = low;
    this.counts[i] = (this.counts[i] as number) + 1;
    this.sum += value;
    this.count += 1;
  }

  sample(labels: Labels): HistogramSample {
    return { labels, counts: [...this.counts], sum: this.sum, count: this.count };
  }
}

/** The numbers the proxy updates per request. */
export interface RequestMetrics {
  /** One finished request (or WebSocket session). `app` is empty when no app was found. */
  request(app: string, status: number, durationSeconds: number, firstByteSeconds: number | null, code: string | null): void;
  /** A request sent again to another backend after a connection failure. */
  retry(app: string): void;
  /** A backend taken out of rotation after refusing a connection. */
  ejection(app: string): void;
}

/** Per-process request counters and histograms. */
export class RouterMetrics implements RequestMetrics {
  /** app → status → count */
  private readonly requests = new Map<string, Map<number, number>>();
  private readonly durations = new Map<string, Histogram>();
  private readonly firstByte = new Histogram();
  private readonly errors = new Map<string, number>();
  private readonly retries = new Map<string, number>();
  private readonly ejections = new Map<string, number>();

  request(app: string, status: number, durationSeconds: number, firstByteSeconds: number | null, code: string | null): void {
    let byStatus = this.requests.get(app);
    if (byStatus === undefined) {
      byStatus = new Map();
      this.requests.set(app, byStatus);
    }
    byStatus.set(status, (byStatus.get(status) ?? 0) + 1);
    let histogram = this.durations.get(app);
    if (histogram === undefined) {
      histogram = new Histogram();
      this.durations.set(app, histogram);
    }
    histogram.observe(durationSeconds);
    if (firstByteSeconds !== null) this.firstByte.observe(firstByteSeconds);
    if (code !== null) this.errors.set(code, (this.errors.get(code) ?? 0) + 1);
  }

  retry(app: string): void {
    this.retries.set(app, (this.retries.get(app) ?? 0) + 1);
  }

  ejection(app: string): void {
    this.ejections.set(app, (this.ejections.get(app) ?? 0) + 1);
  }

  families(): MetricFamily[] {
    // process_type and status_class are added here, at scrape time, not counted per request: only
    // the web process receives HTTP (route-table.ts keeps web backends only), and a status's class
    // follows from the status. They cost the request path nothing and let per-app queries group by
    // class (docs/metrics.md) without a regular expression over every status.
    const requests: Sample[] = [];
    for (const [app, byStatus] of this.requests) {
      for (const [status, value] of byStatus) {
        requests.push({ labels: { app, process_type: processTypeOf(app), status: String(status), status_class: statusClass(status) }, value });
      }
    }
    const durations: HistogramSample[] = [];
    for (const [app, histogram] of this.durations) durations.push(histogram.sample({ app, process_type: processTypeOf(app) }));
    return [
      {
        name: 'slipway_router_requests_total',
        help: 'Requests answered, by app, process type, HTTP status and its class (app="" and process_type="" when no app matched the host).',
        type: 'counter', merge: 'sum', samples: requests,
      },
      { name: 'slipway_router_request_duration_seconds', help: 'Time from the request arriving to the answer sent, by app and process type.', type: 'histogram', merge: 'sum', bounds: LATENCY_BUCKETS, samples: durations },
      { name: 'slipway_router_backend_first_byte_seconds', help: 'Time from sending a request to a backend to its response headers.', type: 'histogram', merge: 'sum', bounds: LATENCY_BUCKETS, samples: [this.firstByte.sample({})] },
      { name: 'slipway_router_errors_total', help: 'Requests that ended with a router error code (see docs/router.md).', type: 'counter', merge: 'sum', samples: countSamples(this.errors, 'code') },
      { name: 'slipway_router_retries_total', help: 'Requests sent again to another backend after a connection failure, by app.', type: 'counter', merge: 'sum', samples: countSamples(this.retries, 'app') },
      { name: 'slipway_router_backend_ejections_total', help: 'Backends taken out of rotation after refusing a connection, by app.', type: 'counter', merge: 'sum', samples: countSamples(this.ejections, 'app') },
    ];
  }
}

/** The process type that served an app's requests: always web (the only one routed); none without an app. */
function processTypeOf(app: string): string {
  return app === '' ? '' : 'web';
}

/** 204 → "2xx"; what Prometheus queries group by (docs/metrics.md). */
export function statusClass(status: number): string {
  return `${Math.floor(status / 100)}xx`;
}

function countSamples(counts: ReadonlyMap<string, number>, label: string): Sample[] {
  return [...counts].map(([key, value]) => ({ labels: { [label]: key }, value }));
}

export function gauge(name: string, help: string, merge: MergeRule, samples: readonly Sample[]): MetricFamily {
  return { name, help, type: 'gauge', merge, samples };
}

/** One family list per process, merged by each family's rule (see the header comment). */
export function mergeFamilies(perWorker: ReadonlyArray<{ readonly worker: string; readonly families: readonly MetricFamily[] }>): MetricFamily[] {
  const merged = new Map<string, { family: MetricFamily; samples: Map<string, Sample | HistogramSample> }>();
  for (const { worker, families } of perWorker) {
    for (const family of families) {
      let entry = merged.get(family.name);
      if (!entry) {
        entry = { family, samples: new Map() };
        merged.set(family.name, entry);
      }
      for (const sample of family.samples) {
        const labels = family.merge === 'worker' ? { ...sample.labels, worker } : sample.labels;
        const key = labelKey(labels);
        const before = entry.samples.get(key);
        if ('counts' in sample) {
          const previous = before as HistogramSample | undefined;
          entry.samples.set(
            key,
            previous
              ? { labels, counts: previous.counts.map((n, i) => n + (sample.counts[i] ?? 0)), sum: previous.sum + sample.sum, count: previous.count + sample.count }
              : { ...sample, labels },
          );
          continue;
        }
        const previous = before as Sample | undefined;
        let value = sample.value;
        if (previous) value = family.merge === 'max' ? Math.max(previous.value, value) : previous.value + value;
        entry.samples.set(key, { labels, value });
      }
    }
  }
  return [...merged.values()].map(({ family, samples }) => ({ ...family, samples: [...samples.values()] }) as MetricFamily);
}

function labelKey(labels: Labels): string {
  return Object.keys(labels)
    .sort()
    .map((name) => `${name}\u0000${labels[name] as string}`)
    .join('\u0001');
}

/** The Prometheus text exposition format, version 0.0.4. */
export function renderExposition(families: readonly MetricFamily[]): string {
  const lines: string[] = [];
  for (const family of families) {
    lines.push(`# HELP ${family.name} ${family.help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`);
    lines.push(`# TYPE ${family.name} ${family.type}`);
    if (family.type === 'histogram') {
      for (const sample of family.samples) {
        let cumulative = 0;
        for (let i = 0; i <= family.bounds.length; i += 1) {
          cumulative += sample.counts[i] ?? 0;
          const le = i < family.bounds.length ? String(family.bounds[i]) : '+Inf';
          lines.push(`${family.name}_bucket${renderLabels({ ...sample.labels, le })} ${cumulative}`);
        }
        lines.push(`${family.name}_sum${renderLabels(sample.labels)} ${formatValue(sample.sum)}`);
        lines.push(`${family.name}_count${renderLabels(sample.labels)} ${sample.count}`);
      }
      continue;
    }
    for (const sample of family.samples) lines.push(`${family.name}${renderLabels(sample.labels)} ${formatValue(sample.value)}`);
  }
  return `${lines.join('\n')}\n`;
}

function renderLabels(labels: Labels): string {
  const names = Object.keys(labels);
  if (names.length === 0) return '';
  return `{${names.map((name) => `${name}="${escapeLabelValue(labels[name] as string)}"`).join(',')}}`;
}

function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}
