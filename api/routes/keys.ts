/** SSH keys: each belongs to its user, who alone sees and removes it (platform admins: all). */
import { z } from 'zod';
import { SlipwayError } from '../../lib/errors';
import type { IdentityService } from '../../engine/identity-service';
import type { SshKey } from '../../engine/model';
import type { Principal } from '../../engine/policy';
import { defineRoute, type Route } from '../route-table';
import { hint } from '../schemas/hint';
import { KeySchema } from '../schemas/platform';
import { keyJson } from '../serializers';

const keyError = 'Send the public key: {"publicKey": "ssh-ed25519 AAAA… you@host"}';

function sees(principal: Principal, key: SshKey): boolean {
  return principal.kind === 'platform' || principal.platformAdmin || key.userId === principal.userId;
}

export function keyRoutes(identity: IdentityService): Route[] {
  return [
    defineRoute({
      method: 'get', path: '/keys', tag: 'account', summary: 'Your SSH keys (a platform admin sees everyone\'s)',
      response: z.array(KeySchema),
      access: () => ({ action: 'account' }),
      handler: async ({ principal }) => (await identity.keys()).filter((key) => sees(principal, key)).map(keyJson),
    }),
    defineRoute({
      method: 'post', path: '/keys', tag: 'account', summary: 'Add an SSH key for git push and ssh run',
      body: z.object({ publicKey: z.string(hint(keyError)), name: z.string().max(200).optional() }, hint(keyError)),
      response: KeySchema, status: 201, audit: 'key.add', errors: ['invalid_key', 'key_exists'],
      access: () => ({ action: 'account:credentials' }),
      handler: async ({ principal, body }) => {
        if (principal.kind !== 'user') throw new SlipwayError('forbidden', 'Only a user can own an SSH key.');
        return keyJson(await identity.addKey({ id: principal.userId, name: principal.userName }, body.publicKey, body.name));
      },
    }),
    defineRoute({
      method: 'delete', path: '/keys/:id', tag: 'account', summary: 'Remove one of your SSH keys (by id or fingerprint)',
      params: z.object({ id: z.string().min(1).max(200) }), audit: 'key.remove', errors: ['key_not_found'],
      access: () => ({ action: 'account:credentials' }),
      handler: async ({ principal, params }) => {
        const key = (await identity.keys()).find((k) => String(k.id) === params.id || k.fingerprint === params.id);
        // Another user's key is "not found" too: its existence is not the caller's to know.
        if (!key || !sees(principal, key)) throw new SlipwayError('key_not_found', `No SSH key of yours matches "${params.id}". Run \`slipway keys\` to list them.`);
        await identity.removeKey(String(key.id));
      },
    }),
  ];
}
