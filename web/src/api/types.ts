/**
 * The API's shapes as the server produces them: derived from the server's own code, never copied
 * by hand, so a change there that the console does not follow fails `tsc -p web/tsconfig.json`.
 * Only types cross over: nothing of the server is bundled.
 */
import type { appInfoJson, appJson, instanceJson, releaseJson } from '../../../api/serializers';
import type { domainJson } from '../../../api/routes/domains';
import type { PsView } from '../../../engine/formation-service';
import type { ErrorBody } from '../../../lib/errors';

export type App = ReturnType<typeof appJson>;
export type AppInfo = ReturnType<typeof appInfoJson>;
export type Release = ReturnType<typeof releaseJson>;
export type Instance = ReturnType<typeof instanceJson>;
export type Domain = ReturnType<typeof domainJson>;
export type FormationEntry = PsView['formation'][number];
export type ConfigVars = Record<string, string>;
/** `PATCH /apps/:app/config`: a value sets, null unsets. */
export type ConfigChanges = Record<string, string | null>;
export type ApiErrorBody = ErrorBody;

export interface SessionInfo {
  user: { name: string };
  csrfToken: string;
  expiresAt: string;
}

export interface PlatformInfo {
  domain: string;
  sshHost: string;
  sshPort: number;
  version: string;
}
