/**
 * `addons:connect`: the interactive client of an add-on's kind (Heroku's `pg:psql`, Dokku's
 * `postgres:connect`), as a command line and its environment. The password goes in the client's
 * own environment variable, never on the command line (where `ps` would show it); the rest are
 * the generated names of kinds.ts, whose alphabet needs no quoting but is quoted all the same.
 */
import type { AddonCredentials, AddonEndpoint, AddonKind } from './kinds';

export interface ClientCommand {
  /** A shell command line, run by /bin/sh in the add-on's image. */
  command: string;
  env: Record<string, string>;
}

const quoted = (value: string | number) => `'${String(value).replace(/'/g, `'\\''`)}'`;

export function clientCommand(kind: AddonKind, endpoint: AddonEndpoint, credentials: AddonCredentials): ClientCommand {
  switch (kind) {
    case 'postgresql':
      return {
        command: 'exec psql',
        env: {
          PGHOST: endpoint.host, PGPORT: String(endpoint.port), PGUSER: credentials.user, PGPASSWORD: credentials.password,
          PGDATABASE: credentials.database,
        },
      };
    case 'mysql':
      return {
        command: `exec mariadb --host=${quoted(endpoint.host)} --port=${quoted(endpoint.port)} --user=${quoted(credentials.user)} ${quoted(credentials.database)}`,
        env: { MYSQL_PWD: credentials.password },
      };
    case 'redis':
      return {
        command: `exec redis-cli -h ${quoted(endpoint.host)} -p ${quoted(endpoint.port)} --user ${quoted(credentials.user)}`,
        env: { REDISCLI_AUTH: credentials.password },
      };
  }
}
