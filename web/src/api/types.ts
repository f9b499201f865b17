/**
 * The API's shapes, inferred from the same zod schemas that validate requests and make the OpenAPI
 * document (api/schemas/*.ts): never copied by hand, so a change there that the console does not
 * follow fails `tsc -p web/tsconfig.json`. Only types cross over: zod is not bundled.
 */
import type { z } from 'zod';
import type { App, AppInfo, ConfigVars, FormationEntry, Instance, PsView, Release } from '../../../api/schemas/apps';
import type { Domain } from '../../../api/schemas/domains';
import type { Info } from '../../../api/schemas/platform';
import type { ChangeEventSchema, Session } from '../../../api/schemas/session';

export type { App, AppInfo, ConfigVars, Domain, FormationEntry, Instance, PsView, Release };
export type PlatformInfo = Info;
export type SessionInfo = Session;
export type ChangeEventData = z.infer<typeof ChangeEventSchema>;
/** `PATCH /apps/:app/config`: a value sets, null unsets. */
export type ConfigChanges = Record<string, string | null>;
/** Every error the API answers (lib/errors.ts). */
export interface ApiErrorBody {
  error: { code: string; message: string };
}
