import { expect } from 'chai';
import { clientCommand } from '../../../../engine/addons/client-command';

describe('engine/addons/client-command (addons:connect)', () => {
  const endpoint = { host: 'slipway-addon-postgresql-calm-41126', port: 5432 };
  const credentials = { user: 'uabcdefgh', password: 'A'.repeat(32), database: 'db_calm' };

  it('logs psql in through PG* variables: no password on the command line', () => {
    const client = clientCommand('postgresql', endpoint, credentials);
    expect(client.command).to.equal('exec psql');
    expect(client.env).to.deep.equal({ PGHOST: endpoint.host, PGPORT: '5432', PGUSER: 'uabcdefgh', PGPASSWORD: credentials.password, PGDATABASE: 'db_calm' });
  });

  it('gives mariadb and redis-cli their password in MYSQL_PWD and REDISCLI_AUTH, the rest quoted on the command line', () => {
    const mysql = clientCommand('mysql', { host: 'db', port: 3306 }, credentials);
    expect(mysql.command).to.equal("exec mariadb --host='db' --port='3306' --user='uabcdefgh' 'db_calm'");
    expect(mysql.env).to.deep.equal({ MYSQL_PWD: credentials.password });
    const redis = clientCommand('redis', { host: 'cache', port: 6379 }, credentials);
    expect(redis.command).to.equal("exec redis-cli -h 'cache' -p '6379' --user 'uabcdefgh'");
    expect(redis.env).to.deep.equal({ REDISCLI_AUTH: credentials.password });
    for (const client of [mysql, redis]) expect(client.command).to.not.include(credentials.password);
  });
});
