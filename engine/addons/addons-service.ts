/**
 * Add-ons (`addons:create|attach|detach|destroy|wait|info`, docs/addons.md): the records, and the
 * convergence that makes them true. Creating an add-on writes its record (state provisioning) and
 * its first attachment in one transaction and returns; `converge` then makes the server exist
 * (AddonServers.ensure, idempotent by name) and binds the attachments with a release of each app.
 * A crash anywhere leaves a record the reconciler's pass converges again, so a retry never makes
 * two servers.
 */
import { SlipwayError } from '../../lib/errors';
import type { Logger } from '../../lib/log';
import { InProcessLocks, withLock, type LockService } from '../locks';
import type { App } from '../model';
import type { AppsRepo } from '../store/apps-repo';
import type { AddonsRepo } from '../store/addons-repo';
import { clientCommand, type ClientCommand } from './client-command';
import { connectionUrl, generateCredentials, type AddonServers, type AddonServerSpec } from './kinds';
import {
  addonNotFound, attachmentKeys, defaultAttachmentName, externalDefaultName, generateAddonName,
  isServerKind, parseAttachmentName, parseExternalUrl, parseKind, parsePlan, redactUrl,
  type Addon, type AddonSecret, type Attachment,
} from './model';
import type { AppBindings, AppTeams } from './ports';

export interface CreateAddon {
  kind: unknown;
  plan?: unknown;
  as?: unknown;
  url?: unknown;
}

export interface AttachmentView {
  app: string;
  name: string;
  configKeys: string[];
  /** The app's config holds the add-on's current URL under every key the attachment owns. */
  bound: boolean;
}

export interface AddonView {
  addon: Addon;
  attachments: AttachmentView[];
  /** The URL apps get; its password hidden unless asked for (null while provisioning). */
  url: string | null;
}

/** How many generated names are tried before giving up (each taken one is a unique-key conflict). */
const NAME_ATTEMPTS = 5;
/** A binding whose release failed is tried again by the reconciler's pass after this long, not at every pass. */
const BIND_RETRY_MS = 10 * 60_000;

export interface AddonsServiceDeps {
  repo: AddonsRepo;
  apps: AppsRepo;
  servers: AddonServers;
  bindings: AppBindings;
  teams: AppTeams;
  logger: Logger;
  /** Exclusion per add-on (key `addon:<name>`): converge, attach, rotate and destroy never overlap. */
  locks?: LockService;
  /** Removes the backup files of a destroyed add-on (engine/addons/backups-service.ts). */
  removeBackups?: (addon: Addon) => Promise<void>;
  now?: () => Date;
}

export class AddonsService {
  private readonly locks: LockService;
  private readonly bindFailures = new Map<string, number>();
  private readonly converging = new Map<number, Promise<void>>();

  constructor(private readonly deps: AddonsServiceDeps) {
    this.locks = deps.locks ?? new InProcessLocks();
  }

  /**
   * Records the add-on (provisioning) and its attachment to the app, starts converging in the
   * background, and answers at once: `addons:wait` follows it.
   */
  async create(appName: string, input: CreateAddon): Promise<AddonView> {
    const kind = parseKind(input.kind);
    const plan = parsePlan(input.plan);
    const app = await this.deps.apps.get(appName);
    const teamId = await this.deps.teams.teamOf(app);
    let external: AddonSecret | null = null;
    let usual: string | null;
    let attachmentName: string;
    if (kind === 'external') {
      const url = parseExternalUrl(input.url);
      external = { kind: 'external', url };
      usual = externalDefaultName(url);
      if (input.as === undefined && usual === null) {
        throw new SlipwayError('invalid_request', 'Name the variable of this external service with --as NAME (the app gets NAME_URL): its URL\'s scheme does not say what it is. Nothing was created.');
      }
      attachmentName = input.as === undefined ? usual! : parseAttachmentName(input.as);
    } else {
      if (input.url !== undefined) throw new SlipwayError('invalid_request', `--url is for external services only; a ${kind} add-on gets its URL from Slipway. Nothing was created.`);
      usual = defaultAttachmentName(kind);
      attachmentName = input.as === undefined ? usual : parseAttachmentName(input.as);
    }
    const configKeys = await this.freeKeys(app, attachmentName, usual);
    for (let attempt = 1; ; attempt += 1) {
      const name = generateAddonName(kind);
      const secret: AddonSecret = external ?? { kind: 'server', current: generateCredentials(name), previous: null, endpoint: null };
      try {
        const addon = await this.deps.repo.create({ name, kind, plan, teamId, state: kind === 'external' ? 'available' : 'provisioning', secret },
          { appId: app.id, name: attachmentName, configKeys }, this.now());
        this.deps.logger.info({ addon: name, kind, plan, app: app.name }, 'add-on created');
        this.startConverging(addon.id);
        return await this.view(addon);
      } catch (error) {
        if (!(error instanceof SlipwayError && error.code === 'addon_exists') || attempt >= NAME_ATTEMPTS) throw error;
      }
    }
  }

  /** Every add-on, or those attached to one app. */
  async list(appName?: string): Promise<AddonView[]> {
    const addons = appName === undefined ? await this.deps.repo.list() : await this.deps.repo.listForApp((await this.deps.apps.get(appName)).id);
    return Promise.all(addons.map((addon) => this.view(addon)));
  }

  async info(name: string, reveal = false): Promise<AddonView> {
    return this.view(await this.deps.repo.get(name), reveal);
  }

  /** `addons:attach NAME -a APP [--as NAME]`: the same server, bound to another app of the add-on's team. */
  async attach(name: string, appName: string, as?: unknown): Promise<AddonView> {
    return this.exclusive(name, async () => {
      const addon = await this.deps.repo.get(name);
      if (addon.state === 'deprovisioning' || addon.state === 'failed') {
        throw new SlipwayError('addon_not_ready', `${name} is ${addon.state}, so it cannot be attached. Nothing was changed.`);
      }
      const app = await this.deps.apps.get(appName);
      if (await this.deps.teams.teamOf(app) !== addon.teamId) {
        throw new SlipwayError('addon_other_team', `${name} belongs to another team than ${app.name}: an add-on is attached only to apps of its own team. Nothing was changed.`);
      }
      const usual = addon.kind === 'external' ? null : defaultAttachmentName(addon.kind);
      const attachmentName = as === undefined ? (usual ?? await this.firstAttachmentName(addon)) : parseAttachmentName(as);
      const configKeys = await this.freeKeys(app, attachmentName, usual);
      const attachment = await this.deps.repo.attach(addon.id, { appId: app.id, name: attachmentName, configKeys });
      if (addon.state === 'available') await this.bind(addon, attachment, app.name);
      return this.view(addon);
    });
  }

  /** `addons:detach NAME -a APP`: the app's owned variables go with a new release, then the attachment. */
  async detach(name: string, appName: string): Promise<AddonView> {
    return this.exclusive(name, async () => {
      const addon = await this.deps.repo.get(name);
      const app = await this.deps.apps.get(appName);
      const attachment = (await this.deps.repo.attachments(addon.id)).find((a) => a.appId === app.id);
      if (!attachment) throw new SlipwayError('attachment_not_found', `${name} is not attached to ${app.name}. Run \`slipway addons ${app.name}\` to see its add-ons.`);
      await this.unbind(addon, attachment, app.name);
      return this.view(addon);
    });
  }

  /** `addons:destroy NAME --confirm NAME [--detach-all]`: refused while attached, unless asked to detach. */
  async destroy(name: string, confirm: unknown, detachAll = false): Promise<void> {
    if (confirm !== name) {
      throw new SlipwayError('confirmation_required', `Destroying ${name} deletes its data and backups for good. Confirm with --confirm ${name}.`);
    }
    await this.exclusive(name, async () => {
      const addon = await this.deps.repo.get(name);
      const attachments = await this.deps.repo.attachments(addon.id);
      if (attachments.length > 0 && !detachAll) {
        const apps = [...(await this.deps.repo.appNames(attachments.map((a) => a.appId))).values()];
        throw new SlipwayError('addon_attached', `${name} is attached to ${apps.join(', ')}: detach it first (slipway addons:detach ${name} -a APP), or destroy with --detach-all. Nothing was changed.`);
      }
      await this.deps.repo.setState(addon.id, 'deprovisioning');
      await this.deprovision({ ...addon, state: 'deprovisioning' });
    });
  }

  /** Runs `converge` for an add-on unless it already runs (the create call's and the reconciler's share it). */
  converge(addonId: number): Promise<void> {
    const running = this.converging.get(addonId);
    if (running) return running;
    const pass = this.convergeOnce(addonId).finally(() => this.converging.delete(addonId));
    this.converging.set(addonId, pass);
    return pass;
  }

  /** The config vars that add-ons and links own on an app, with who owns each (engine/config-service.ts). */
  async ownedKeys(app: App): Promise<Map<string, string>> {
    const owned = new Map<string, string>();
    const attachments = await this.deps.repo.attachmentsOfApp(app.id);
    for (const attachment of attachments) {
      const addon = await this.deps.repo.byId(attachment.addonId);
      const addonName = addon?.name ?? 'an add-on';
      for (const key of attachment.configKeys) owned.set(key, `the add-on ${addonName} (detach it with \`slipway addons:detach ${addonName} -a ${app.name}\`)`);
    }
    const links = await this.deps.repo.linksOfApp(app.id);
    const targets = await this.deps.repo.appNames(links.map((l) => l.targetAppId));
    for (const link of links) {
      const target = targets.get(link.targetAppId) ?? 'another app';
      owned.set(link.configKey, `the link to ${target} (remove it with \`slipway apps:unlink ${app.name} ${target}\`)`);
    }
    return owned;
  }

  /** The server's spec with the add-on's current credentials; null for an external service. */
  async spec(addon: Addon): Promise<AddonServerSpec | null> {
    if (!isServerKind(addon.kind)) return null;
    const secret = await this.deps.repo.secret(addon.id);
    if (secret.kind !== 'server') throw new SlipwayError('internal', `The credentials of ${addon.name} are not a server's.`);
    return { addonName: addon.name, kind: addon.kind, plan: addon.plan, teamId: addon.teamId, credentials: secret.current };
  }

  /**
   * `addons:connect NAME -a APP`: the client to run beside APP (a one-off in the add-on's image, on
   * the team's network), logged in as the apps are. Only through an app the add-on is attached to.
   */
  async client(appName: string, name: string): Promise<ClientCommand & { image: string }> {
    const addon = await this.deps.repo.get(name);
    const app = await this.deps.apps.get(appName);
    // Another team's add-on is not there at all for this app: its name must not be confirmed.
    if (addon.teamId !== await this.deps.teams.teamOf(app)) throw addonNotFound(name);
    const attached = (await this.deps.repo.attachments(addon.id)).some((a) => a.appId === app.id);
    if (!attached) {
      throw new SlipwayError('attachment_not_found', `${addon.name} is not attached to ${app.name}: connect through an app it is attached to (slipway addons:info ${addon.name}), or attach it with slipway addons:attach ${addon.name} ${app.name}.`);
    }
    if (!isServerKind(addon.kind)) {
      throw new SlipwayError('invalid_request', `${addon.name} is an external service: Slipway has no client for it. Connect with your own client to its URL (slipway addons:info ${addon.name} --reveal).`);
    }
    const secret = await this.deps.repo.secret(addon.id);
    if (secret.kind !== 'server' || secret.endpoint === null) {
      throw new SlipwayError('addon_not_ready', `${addon.name} is still being provisioned: wait for it with slipway addons:wait ${addon.name}, then connect.`);
    }
    return { image: this.deps.servers.imageOf(addon.kind), ...clientCommand(addon.kind, secret.endpoint, secret.current) };
  }

  /** The URL attached apps get (with the secret); null while the server has no address yet. */
  async urlOf(addon: Addon): Promise<string | null> {
    const secret = await this.deps.repo.secret(addon.id);
    if (secret.kind === 'external') return secret.url;
    if (!isServerKind(addon.kind) || secret.endpoint === null) return null;
    return connectionUrl(addon.kind, secret.endpoint, secret.current);
  }

  /**
   * Makes the server run (AddonServers.ensure: idempotent, keeps the volume) and records where apps
   * reach it; `onProgress` gets its steps. Call it holding the add-on's lock.
   */
  async ensureServer(addon: Addon, onProgress?: (message: string) => void): Promise<void> {
    const spec = await this.spec(addon);
    if (!spec) return;
    const endpoint = await this.deps.servers.ensure(spec, (progress) => onProgress?.(progress.message));
    const secret = await this.deps.repo.secret(addon.id);
    if (secret.kind === 'server' && (secret.endpoint?.host !== endpoint.host || secret.endpoint?.port !== endpoint.port)) {
      await this.deps.repo.setSecret(addon.id, { ...secret, endpoint });
    }
  }

  /** Gives every attachment of the add-on its current URL (a release per app whose config differs). Throws the first failure. */
  async bindAll(addon: Addon): Promise<void> {
    const attachments = await this.deps.repo.attachments(addon.id);
    const names = await this.deps.repo.appNames(attachments.map((a) => a.appId));
    for (const attachment of attachments) {
      const appName = names.get(attachment.appId);
      if (appName) await this.bind(addon, attachment, appName);
    }
  }

  /** Resolves once no attached app runs an instance of a release older than its binding's (AppBindings.settled). */
  async settled(addon: Addon): Promise<void> {
    const attachments = await this.deps.repo.attachments(addon.id);
    const names = await this.deps.repo.appNames(attachments.map((a) => a.appId));
    for (const appName of new Set(names.values())) await this.deps.bindings.settled(appName);
  }

  /** Runs `task` holding the add-on's lock. */
  exclusive<T>(name: string, task: () => Promise<T>): Promise<T> {
    return withLock(this.locks, `addon:${name}`, 'release', task);
  }

  private startConverging(addonId: number): void {
    void this.converge(addonId).catch((error: unknown) => this.deps.logger.warn({ addonId, err: error }, 'add-on convergence failed; the reconciler tries again'));
  }

  private async convergeOnce(addonId: number): Promise<void> {
    const first = await this.deps.repo.byId(addonId);
    if (!first) return;
    await this.exclusive(first.name, async () => {
      const addon = await this.deps.repo.byId(addonId);
      if (!addon) return;
      if (addon.state === 'deprovisioning') return this.deprovision(addon);
      if (addon.state === 'provisioning') {
        try {
          await this.ensureServer(addon, (message) => {
            void this.deps.repo.setState(addon.id, 'provisioning', message).catch(() => undefined);
          });
        } catch (error) {
          const reason = `the server did not start: ${error instanceof Error ? error.message : String(error)}`;
          await this.deps.repo.setState(addon.id, 'failed', reason);
          this.deps.logger.warn({ addon: addon.name, err: error }, 'add-on provisioning failed');
          return;
        }
        await this.deps.repo.setState(addon.id, 'available');
        await this.deps.repo.setHealth(addon.id, 'healthy');
        this.deps.logger.info({ addon: addon.name }, 'add-on available');
      }
      if (addon.state === 'failed') return;
      await this.bindPending({ ...addon, state: 'available' });
    });
  }

  /** Binds the attachments whose app does not have the URL yet; a failed release is retried after BIND_RETRY_MS. */
  private async bindPending(addon: Addon): Promise<void> {
    const attachments = await this.deps.repo.attachments(addon.id);
    const names = await this.deps.repo.appNames(attachments.map((a) => a.appId));
    for (const attachment of attachments) {
      const appName = names.get(attachment.appId);
      const key = `${addon.id}:${attachment.id}`;
      if (!appName || (this.bindFailures.get(key) ?? 0) > this.now().getTime()) continue;
      try {
        await this.bind(addon, attachment, appName);
        this.bindFailures.delete(key);
      } catch (error) {
        this.bindFailures.set(key, this.now().getTime() + BIND_RETRY_MS);
        this.deps.logger.warn({ addon: addon.name, app: appName, err: error }, 'binding the add-on to the app failed');
      }
    }
  }

  private async bind(addon: Addon, attachment: Attachment, appName: string): Promise<void> {
    const url = await this.urlOf(addon);
    if (url === null) return;
    const app = await this.deps.apps.get(appName);
    const changes = Object.fromEntries(attachment.configKeys.filter((key) => app.config[key] !== url).map((key) => [key, url] as const));
    if (Object.keys(changes).length === 0) return;
    await this.deps.bindings.apply(appName, changes, `Attach ${attachment.name} (${addon.name})`);
  }

  private async unbind(addon: Addon, attachment: Attachment, appName: string): Promise<void> {
    const changes = Object.fromEntries(attachment.configKeys.map((key) => [key, null] as const));
    await this.deps.bindings.apply(appName, changes, `Detach ${attachment.name} (${addon.name})`);
    await this.deps.repo.detach(attachment.id);
  }

  /** Detaches everything, removes the server and the backups, then the record: each step may run again after a crash. */
  private async deprovision(addon: Addon): Promise<void> {
    const attachments = await this.deps.repo.attachments(addon.id);
    const names = await this.deps.repo.appNames(attachments.map((a) => a.appId));
    for (const attachment of attachments) {
      const appName = names.get(attachment.appId);
      if (appName) await this.unbind(addon, attachment, appName);
      else await this.deps.repo.detach(attachment.id);
    }
    if (isServerKind(addon.kind)) await this.deps.servers.remove(addon.name, { keepVolume: false });
    await this.deps.removeBackups?.(addon);
    await this.deps.repo.delete(addon.id);
    this.deps.logger.info({ addon: addon.name }, 'add-on destroyed');
  }

  /** The keys an attachment would own, refused when another owner or `config:set` has one already. */
  private async freeKeys(app: App, name: string, usual: string | null): Promise<string[]> {
    const owned = await this.ownedKeys(app);
    const keys = attachmentKeys(name, usual, new Set(owned.keys()));
    const own = `${name}_URL`;
    if (owned.has(own)) {
      throw new SlipwayError('attachment_exists', `${app.name} already has ${own}, set by ${owned.get(own)}. Bind this one under another name with --as NAME. Nothing was changed.`);
    }
    const userSet = keys.filter((key) => Object.hasOwn(app.config, key));
    if (userSet.length > 0) {
      throw new SlipwayError('attachment_exists', `${app.name} already has ${userSet.join(', ')} set with config:set: unset it first `
        + `(slipway config:unset ${app.name} ${userSet.join(' ')}), or bind under another name with --as NAME. Nothing was changed.`);
    }
    return keys;
  }

  private async firstAttachmentName(addon: Addon): Promise<string> {
    const first = (await this.deps.repo.attachments(addon.id))[0];
    if (!first) throw new SlipwayError('invalid_request', `Name the variable with --as NAME: ${addon.name} has no attachment to take its name from.`);
    return first.name;
  }

  private async view(addon: Addon, reveal = false): Promise<AddonView> {
    const current = (await this.deps.repo.byId(addon.id)) ?? addon;
    const attachments = await this.deps.repo.attachments(addon.id);
    const names = await this.deps.repo.appNames(attachments.map((a) => a.appId));
    const url = await this.urlOf(current);
    const views: AttachmentView[] = [];
    for (const attachment of attachments) {
      const appName = names.get(attachment.appId) ?? `app ${attachment.appId}`;
      const app = await this.deps.apps.find(appName);
      const bound = url !== null && app !== null && attachment.configKeys.every((key) => app.config[key] === url);
      views.push({ app: appName, name: attachment.name, configKeys: attachment.configKeys, bound });
    }
    return { addon: current, attachments: views, url: url === null ? null : reveal ? url : redactUrl(url) };
  }

  private now(): Date {
    return this.deps.now?.() ?? new Date();
  }
}
