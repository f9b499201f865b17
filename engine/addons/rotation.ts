/**
 * `addons:credentials:rotate NAME`: new credentials beside the old ones, a new release of every
 * attached app with the new URL, and only once all of them run and their old instances stopped, the
 * old credentials revoked. The old ones are kept (sealed) until then, so a rotation cut short by a
 * failed release or a crash is finished by running it again: it resumes with the same new
 * credentials instead of making more.
 */
import { SlipwayError } from '../../lib/errors';
import type { Logger } from '../../lib/log';
import type { AddonsRepo } from '../store/addons-repo';
import type { AddonsService } from './addons-service';
import { generateCredentials, type AddonServers } from './kinds';
import { isServerKind } from './model';

export class CredentialsRotation {
  constructor(
    private readonly addons: AddonsService,
    private readonly repo: AddonsRepo,
    private readonly servers: AddonServers,
    private readonly logger: Logger,
  ) {}

  async rotate(name: string): Promise<void> {
    await this.addons.exclusive(name, async () => {
      const addon = await this.repo.get(name);
      if (!isServerKind(addon.kind)) {
        throw new SlipwayError('invalid_request', `${name} is an external service: its credentials are the URL you gave. Detach it and create it again with the new URL.`);
      }
      if (addon.state !== 'available') throw new SlipwayError('addon_not_ready', `${name} is ${addon.state}: credentials are rotated only on an available add-on.`);
      let secret = await this.repo.secret(addon.id);
      if (secret.kind !== 'server') throw new SlipwayError('internal', `The credentials of ${name} are not a server's.`);
      if (secret.previous === null) {
        const next = generateCredentials(addon.name, secret.current.database);
        await this.servers.rotateCredentials(addon.name, next);
        secret = { ...secret, current: next, previous: secret.current };
        // Stored before any app gets them: a crash from here on resumes with these, never a third set.
        await this.repo.setSecret(addon.id, secret);
        this.logger.info({ addon: name }, 'new credentials made; releasing the attached apps');
      } else {
        this.logger.info({ addon: name }, 'resuming an interrupted rotation');
      }
      try {
        await this.addons.bindAll(addon);
      } catch (error) {
        throw new SlipwayError('deploy_failed', `The new credentials of ${name} were not rolled out to every attached app, so the old ones still work and were kept. `
          + `Fix the app, then run slipway addons:credentials:rotate ${name} again to finish. ${error instanceof Error ? error.message : ''}`.trim(), { cause: error });
      }
      // The releases answer once the new instances serve; the old ones (workers too) still drain
      // and stop with the old credentials meanwhile, so the revocation waits for them.
      await this.addons.settled(addon);
      await this.servers.revokeCredentials(addon.name, secret.previous!);
      await this.repo.setSecret(addon.id, { ...secret, previous: null });
      this.logger.info({ addon: name }, 'old credentials revoked');
    });
  }
}
