/**
 * An app's drains (`drains`, `drains:add`, `drains:remove`) and their deliveries: every kept line
 * of the app goes to each of its drains, the same for buildpack and Dockerfile apps (the stream
 * does not know how an app was built).
 */
import { SlipwayError } from '../../../lib/errors';
import type { Logger } from '../../../lib/log';
import type { AppsRepo } from '../../store/apps-repo';
import type { LogHub } from '../log-hub';
import { DrainDelivery } from './drain-delivery';
import type { DrainCursors } from './drain-cursors';
import type { DrainAddressGuard } from './drain-guard';
import { parseDrainUrl, redactDrainUrl } from './drain-url';
import type { DrainRecord, DrainsRepo } from './drains-repo';
import { HttpsTransport, SyslogTransport, trustedCas, type DrainTransport } from './transports';

export interface DrainView {
  readonly id: string;
  /** The URL with any password hidden. */
  readonly url: string;
  readonly token: string;
  readonly createdAt: string;
  /** Lines waiting for the endpoint. */
  readonly pending: number;
}

export const MAX_DRAINS_PER_APP = 5;

export class DrainsService {
  private readonly deliveries = new Map<string, DrainDelivery[]>();
  private readonly cas: string[];

  constructor(
    private readonly apps: Pick<AppsRepo, 'get'>,
    private readonly repo: DrainsRepo,
    private readonly hub: LogHub,
    private readonly settings: { readonly bufferLines: number; readonly caFile: string | null },
    /** Which addresses drains may reach (SSRF); checked when added and at every connection. */
    private readonly guard: DrainAddressGuard,
    /** How far each drain delivered, kept across restarts: what it still owed is sent after one. */
    private readonly cursors: DrainCursors,
    private readonly logger: Logger,
  ) {
    this.cas = trustedCas(settings.caFile);
  }

  /**
   * Starts every drain there is: each first gets the lines of its app's history after its cursor
   * (what it had not confirmed when Slipway stopped), then every new line. Runs before the
   * collector starts, so nothing is written to the streams meanwhile.
   */
  async start(): Promise<void> {
    for (const drain of await this.repo.all()) {
      const delivery = this.startDelivery(drain);
      if (delivery) await this.resume(delivery);
    }
    this.hub.listen((app, lines) => {
      for (const delivery of this.deliveries.get(app) ?? []) delivery.push(lines);
    });
  }

  async close(): Promise<void> {
    for (const list of this.deliveries.values()) for (const delivery of list) delivery.close();
    this.deliveries.clear();
    await this.cursors.close();
  }

  async list(appName: string): Promise<DrainView[]> {
    const app = await this.apps.get(appName);
    return (await this.repo.forApp(app.id)).map((drain) => this.view(drain));
  }

  async add(appName: string, rawUrl: string, actor: string | null): Promise<DrainView> {
    const app = await this.apps.get(appName);
    const url = parseDrainUrl(rawUrl);
    await this.guard.addresses(url.hostname);
    if (await this.repo.count(app.id) >= MAX_DRAINS_PER_APP) {
      throw new SlipwayError('invalid_drain', `${app.name} has ${MAX_DRAINS_PER_APP} drains, the most an app may have: remove one first (slipway drains:remove).`);
    }
    const added = await this.repo.add(app.id, rawUrl);
    if (added === null) throw new SlipwayError('drain_exists', `${app.name} already drains to ${redactDrainUrl(rawUrl)}.`);
    const drain: DrainRecord = { id: added.id, app: app.name, appId: app.id, url: rawUrl, token: added.token, createdAt: new Date() };
    // A new drain owes nothing of the past: its cursor starts at the stream's end.
    this.cursors.set(drain.id, (await this.hub.nextSeq(app.name)) - 1);
    this.startDelivery(drain);
    this.hub.emit(app.name, `Drain ${drain.id} added${actor ? ` by ${actor}` : ''}: ${redactDrainUrl(rawUrl)}`);
    return this.view(drain);
  }

  /** Removes a drain named by its id, its token or its URL. */
  async remove(appName: string, target: string, actor: string | null): Promise<DrainView> {
    const app = await this.apps.get(appName);
    const drain = (await this.repo.forApp(app.id)).find((d) => d.id === target || d.token === target || d.url === target);
    if (!drain) throw new SlipwayError('drain_not_found', `${app.name} has no drain ${redactDrainUrl(target)}: run \`slipway drains -a ${app.name}\` to list them.`);
    await this.repo.remove(app.id, drain.id);
    const list = this.deliveries.get(app.name) ?? [];
    for (const delivery of list.filter((d) => d.drain.id === drain.id)) delivery.close();
    this.deliveries.set(app.name, list.filter((d) => d.drain.id !== drain.id));
    await this.cursors.remove(drain.id);
    this.hub.emit(app.name, `Drain ${drain.id} removed${actor ? ` by ${actor}` : ''}`);
    return this.view(drain);
  }

  /** The app was destroyed: its deliveries stop (the table cascades). */
  async forgetApp(appName: string): Promise<void> {
    const list = this.deliveries.get(appName) ?? [];
    this.deliveries.delete(appName);
    for (const delivery of list) {
      delivery.close();
      await this.cursors.remove(delivery.drain.id);
    }
  }

  /** The app was renamed: its drains keep their buffers and send under the new name. */
  renameApp(from: string, to: string): void {
    const list = this.deliveries.get(from) ?? [];
    this.deliveries.delete(from);
    for (const delivery of list) delivery.drain = { ...delivery.drain, app: to };
    if (list.length > 0) this.deliveries.set(to, [...(this.deliveries.get(to) ?? []), ...list]);
  }

  /** Puts back what the drain had not confirmed, from the app's history; says what history no longer has (L10). */
  private async resume(delivery: DrainDelivery): Promise<void> {
    const { id, app } = delivery.drain;
    const next = await this.hub.nextSeq(app);
    const cursor = await this.cursors.get(id);
    if (cursor === null || cursor >= next - 1) {
      this.cursors.set(id, Math.max(cursor ?? 0, next - 1));
      return;
    }
    const owed = (await this.hub.read(app, { lines: Math.min(next - 1 - cursor, this.settings.bufferLines) }))
      .filter((line) => line.seq > cursor).sort((a, b) => a.seq - b.seq);
    const missing = (owed[0]?.seq ?? next) - cursor - 1;
    if (missing > 0) {
      this.hub.emit(app, `Error L10 (output buffer overflow): ${missing} messages dropped while Slipway restarted (drain ${id}: older than the app's kept history or its buffer of ${this.settings.bufferLines} lines)`, 'logs');
    }
    delivery.push(owed);
  }

  private startDelivery(drain: DrainRecord): DrainDelivery | null {
    let transport: DrainTransport;
    try {
      const url = parseDrainUrl(drain.url);
      transport = url.protocol === 'https:' ? new HttpsTransport(url, drain.token, this.cas, this.guard) : new SyslogTransport(url, this.cas, this.guard);
    } catch (error) {
      this.logger.warn({ err: error, drain: drain.id, app: drain.app }, 'a stored drain URL is no longer valid; not sending to it');
      return null;
    }
    const delivery = new DrainDelivery({ id: drain.id, app: drain.app }, transport, this.settings.bufferLines,
      (app, text) => this.hub.emit(app, text, 'logs'), this.logger, (seq) => this.cursors.set(drain.id, seq));
    const list = this.deliveries.get(drain.app) ?? [];
    list.push(delivery);
    this.deliveries.set(drain.app, list);
    return delivery;
  }

  private view(drain: DrainRecord): DrainView {
    const pending = (this.deliveries.get(drain.app) ?? []).find((d) => d.drain.id === drain.id)?.pending ?? 0;
    return { id: drain.id, url: redactDrainUrl(drain.url), token: drain.token, createdAt: drain.createdAt.toISOString(), pending };
  }
}
