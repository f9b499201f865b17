/**
 * `apps:link APP OTHER [--as NAME]` (Rainbond's component dependencies): APP gets `<NAME>_URL`, the
 * address of OTHER's web process on their team's network, so it reaches OTHER without the public
 * router. Only apps of one team can be linked: another team's network is not reachable anyway.
 */
import { SlipwayError } from '../../lib/errors';
import type { AppsRepo } from '../store/apps-repo';
import type { AddonsRepo } from '../store/addons-repo';
import type { AddonsService } from './addons-service';
import { parseAttachmentName, type AppLink } from './model';
import type { AppBindings, AppTeams } from './ports';

export interface LinkView {
  app: string;
  target: string;
  name: string;
  configKey: string;
  url: string;
}

/** The name an app link gets without --as: the other app's name, as a variable prefix. */
export function defaultLinkName(other: string): string {
  return other.toUpperCase().replace(/-/g, '_');
}

export class LinksService {
  constructor(
    private readonly repo: AddonsRepo,
    private readonly apps: AppsRepo,
    private readonly addons: AddonsService,
    private readonly bindings: AppBindings,
    private readonly teams: AppTeams,
    /** `http://<other's internal name>:<port>` on the team network (the runtime driver names it). */
    private readonly internalUrl: (appName: string) => string,
  ) {}

  async link(appName: string, otherName: string, as?: unknown): Promise<LinkView> {
    const app = await this.apps.get(appName);
    const other = await this.apps.get(otherName);
    if (app.id === other.id) throw new SlipwayError('invalid_request', 'An app cannot be linked to itself: it reaches itself on localhost.');
    if (await this.teams.teamOf(app) !== await this.teams.teamOf(other)) {
      throw new SlipwayError('addon_other_team', `${other.name} belongs to another team than ${app.name}: only apps of one team can be linked. Nothing was changed.`);
    }
    const name = as === undefined ? defaultLinkName(other.name) : parseAttachmentName(as);
    const configKey = `${name}_URL`;
    const owned = await this.addons.ownedKeys(app);
    if (owned.has(configKey)) throw new SlipwayError('attachment_exists', `${app.name} already has ${configKey}, set by ${owned.get(configKey)}. Pick another name with --as NAME.`);
    if (Object.hasOwn(app.config, configKey)) {
      throw new SlipwayError('attachment_exists', `${app.name} already has ${configKey} set with config:set: unset it first, or pick another name with --as NAME.`);
    }
    const link = await this.repo.createLink({ appId: app.id, targetAppId: other.id, name, configKey });
    const url = this.internalUrl(other.name);
    try {
      await this.bindings.apply(app.name, { [configKey]: url }, `Link ${name} (${other.name})`);
    } catch (error) {
      await this.repo.deleteLink(link.id);
      throw error;
    }
    return this.viewOf(link, app.name, other.name);
  }

  async unlink(appName: string, otherName: string): Promise<void> {
    const app = await this.apps.get(appName);
    const other = await this.apps.get(otherName);
    const link = (await this.repo.linksOfApp(app.id)).find((l) => l.targetAppId === other.id);
    if (!link) throw new SlipwayError('attachment_not_found', `${app.name} is not linked to ${other.name}. Run \`slipway apps:links ${app.name}\` to see its links.`);
    await this.bindings.apply(app.name, { [link.configKey]: null }, `Unlink ${link.name} (${other.name})`);
    await this.repo.deleteLink(link.id);
  }

  async list(appName: string): Promise<LinkView[]> {
    const app = await this.apps.get(appName);
    const links = await this.repo.linksOfApp(app.id);
    const names = await this.repo.appNames(links.map((l) => l.targetAppId));
    return links.map((link) => this.viewOf(link, app.name, names.get(link.targetAppId) ?? `app ${link.targetAppId}`));
  }

  private viewOf(link: AppLink, app: string, target: string): LinkView {
    return { app, target, name: link.name, configKey: link.configKey, url: this.internalUrl(target) };
  }
}
