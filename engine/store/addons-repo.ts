/** Add-ons, their attachments and app links (migration 007). The secret column is sealed (secret-columns.ts). */
import type { Knex } from 'knex';
import { SlipwayError } from '../../lib/errors';
import { addonNotFound, type Addon, type AddonHealth, type AddonSecret, type AddonState, type AppLink, type Attachment, type AddonKind, type Plan } from '../addons/model';
import { addonSecretContext, secretsOf } from './secret-columns';

type Row = Record<string, unknown>;

const date = (value: unknown): Date => {
  if (value instanceof Date) return value;
  if (typeof value === 'number' || /^\d+$/.test(String(value))) return new Date(Number(value));
  return new Date(String(value));
};

function addonFromRow(row: Row): Addon {
  return {
    id: Number(row.id),
    name: String(row.name),
    kind: String(row.kind) as AddonKind,
    plan: String(row.plan) as Plan,
    teamId: Number(row.team_id),
    state: String(row.state) as AddonState,
    health: String(row.health) as AddonHealth,
    stateReason: row.state_reason === null || row.state_reason === undefined ? null : String(row.state_reason),
    createdAt: date(row.created_at),
  };
}

function attachmentFromRow(row: Row): Attachment {
  return {
    id: Number(row.id), addonId: Number(row.addon_id), appId: Number(row.app_id), name: String(row.name),
    configKeys: JSON.parse(String(row.config_keys)) as string[], createdAt: date(row.created_at),
  };
}

function linkFromRow(row: Row): AppLink {
  return {
    id: Number(row.id), appId: Number(row.app_id), targetAppId: Number(row.target_app_id), name: String(row.name),
    configKey: String(row.config_key), createdAt: date(row.created_at),
  };
}

export interface NewAddon {
  name: string;
  kind: AddonKind;
  plan: Plan;
  teamId: number;
  state: AddonState;
  secret: AddonSecret;
}

export interface NewAttachment {
  appId: number;
  name: string;
  configKeys: string[];
}

function isUniqueViolation(error: unknown): boolean {
  const { code, message } = error as { code?: string; message?: string };
  return code === 'ER_DUP_ENTRY' || code === 'SQLITE_CONSTRAINT_UNIQUE' || /UNIQUE constraint failed/.test(message ?? '');
}

export class AddonsRepo {
  constructor(private readonly db: Knex) {}

  /**
   * The add-on and its first attachment (if any), in one transaction: a crash leaves both or neither.
   * A name already taken is add-on_exists (the caller picks another).
   */
  async create(addon: NewAddon, attachment: NewAttachment | null, now = new Date()): Promise<Addon> {
    try {
      return await this.db.transaction(async (trx) => {
        const [id] = await trx('addons').insert({
          name: addon.name, kind: addon.kind, plan: addon.plan, team_id: addon.teamId, state: addon.state, health: 'unknown',
          state_reason: null, secret: '', created_at: now,
        });
        const addonId = Number(id);
        // Sealed for the add-on's id, known once inserted.
        await trx('addons').where({ id: addonId }).update({ secret: this.seal(addonId, addon.secret) });
        if (attachment) await this.insertAttachment(trx, addonId, attachment, now);
        return { id: addonId, name: addon.name, kind: addon.kind, plan: addon.plan, teamId: addon.teamId, state: addon.state,
          health: 'unknown', stateReason: null, createdAt: now };
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw new SlipwayError('addon_exists', `An add-on named ${addon.name} already exists.`, { cause: error });
      throw error;
    }
  }

  async find(name: string): Promise<Addon | null> {
    const row = await this.db('addons').where({ name }).first();
    return row ? addonFromRow(row) : null;
  }

  async get(name: string): Promise<Addon> {
    const addon = await this.find(name);
    if (!addon) throw addonNotFound(name);
    return addon;
  }

  async byId(id: number): Promise<Addon | null> {
    const row = await this.db('addons').where({ id }).first();
    return row ? addonFromRow(row) : null;
  }

  /** Every add-on, or those in the given states (the reconciler's pass), by name. */
  async list(states?: readonly AddonState[]): Promise<Addon[]> {
    const query = this.db('addons').orderBy('name');
    if (states) query.whereIn('state', [...states]);
    return (await query).map(addonFromRow);
  }

  /** The add-ons attached to one app. */
  async listForApp(appId: number): Promise<Addon[]> {
    const rows = await this.db('addons').whereIn('id', this.db('addon_attachments').where({ app_id: appId }).select('addon_id')).orderBy('name');
    return rows.map(addonFromRow);
  }

  async setState(id: number, state: AddonState, reason: string | null = null): Promise<void> {
    await this.db('addons').where({ id }).update({ state, state_reason: reason });
  }

  async setHealth(id: number, health: AddonHealth, reason: string | null = null): Promise<void> {
    await this.db('addons').where({ id }).update({ health, state_reason: reason });
  }

  async secret(id: number): Promise<AddonSecret> {
    const row = await this.db('addons').where({ id }).first('secret');
    if (!row) throw new SlipwayError('addon_not_found', 'This add-on was destroyed.');
    return JSON.parse(secretsOf(this.db).open(String(row.secret), addonSecretContext(id))) as AddonSecret;
  }

  async setSecret(id: number, secret: AddonSecret): Promise<void> {
    await this.db('addons').where({ id }).update({ secret: this.seal(id, secret) });
  }

  async delete(id: number): Promise<void> {
    await this.db.transaction(async (trx) => {
      await trx('addon_backup_schedules').where({ addon_id: id }).delete();
      await trx('addon_backups').where({ addon_id: id }).delete();
      await trx('addon_attachments').where({ addon_id: id }).delete();
      await trx('addons').where({ id }).delete();
    });
  }

  async attach(addonId: number, attachment: NewAttachment, now = new Date()): Promise<Attachment> {
    try {
      return await this.db.transaction((trx) => this.insertAttachment(trx, addonId, attachment, now));
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw new SlipwayError('attachment_exists', `The app already has an attachment named ${attachment.name}: pick another with --as NAME.`, { cause: error });
      }
      throw error;
    }
  }

  async attachments(addonId: number): Promise<Attachment[]> {
    return (await this.db('addon_attachments').where({ addon_id: addonId }).orderBy('id')).map(attachmentFromRow);
  }

  async attachmentsOfApp(appId: number): Promise<Attachment[]> {
    return (await this.db('addon_attachments').where({ app_id: appId }).orderBy('id')).map(attachmentFromRow);
  }

  async detach(attachmentId: number): Promise<void> {
    await this.db('addon_attachments').where({ id: attachmentId }).delete();
  }

  async createLink(link: Omit<AppLink, 'id' | 'createdAt'>, now = new Date()): Promise<AppLink> {
    try {
      const [id] = await this.db('app_links').insert({
        app_id: link.appId, target_app_id: link.targetAppId, name: link.name, config_key: link.configKey, created_at: now,
      });
      return { ...link, id: Number(id), createdAt: now };
    } catch (error) {
      if (isUniqueViolation(error)) throw new SlipwayError('attachment_exists', `The app is already linked to that app, or has a link named ${link.name}.`, { cause: error });
      throw error;
    }
  }

  async linksOfApp(appId: number): Promise<AppLink[]> {
    return (await this.db('app_links').where({ app_id: appId }).orderBy('id')).map(linkFromRow);
  }

  async deleteLink(id: number): Promise<void> {
    await this.db('app_links').where({ id }).delete();
  }

  /** The names of these apps, by id (attachments and links name apps by id). */
  async appNames(ids: readonly number[]): Promise<Map<number, string>> {
    if (ids.length === 0) return new Map();
    const rows = await this.db('apps').whereIn('id', [...new Set(ids)]).select('id', 'name');
    return new Map(rows.map((row: Row) => [Number(row.id), String(row.name)]));
  }

  /** Links that point at an app (its linked apps get its URL). */
  async linksTo(targetAppId: number): Promise<AppLink[]> {
    return (await this.db('app_links').where({ target_app_id: targetAppId }).orderBy('id')).map(linkFromRow);
  }

  private async insertAttachment(trx: Knex.Transaction, addonId: number, attachment: NewAttachment, now: Date): Promise<Attachment> {
    const [id] = await trx('addon_attachments').insert({
      addon_id: addonId, app_id: attachment.appId, name: attachment.name, config_keys: JSON.stringify(attachment.configKeys), created_at: now,
    });
    return { id: Number(id), addonId, appId: attachment.appId, name: attachment.name, configKeys: attachment.configKeys, createdAt: now };
  }

  private seal(id: number, secret: AddonSecret): string {
    return secretsOf(this.db).seal(JSON.stringify(secret), addonSecretContext(id));
  }
}
