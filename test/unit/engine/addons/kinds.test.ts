import { expect } from 'chai';
import {
  connectionUrl, databaseNameFor, generateCredentials, isAddonKind, validCredentials,
} from '../../../../engine/addons/kinds';
import { FrameSplitter } from '../../../../engine/addons/docker-exec';
import { PassThrough } from 'node:stream';

describe('engine/addons/kinds', () => {
  it('generates strong credentials that pass the alphabet check, different each time', () => {
    const a = generateCredentials('my-db');
    const b = generateCredentials('my-db');
    expect(validCredentials(a)).to.equal(true);
    expect(a.password).to.have.length(40);
    expect(a.password).to.not.equal(b.password);
    expect(a.user).to.not.equal(b.user);
    expect(a.database).to.equal('my_db');
    expect(generateCredentials('x', 'kept').database).to.equal('kept');
  });

  it('refuses credentials that could escape a statement', () => {
    const good = generateCredentials('db');
    expect(validCredentials({ ...good, password: "abc'; DROP ROLE x; --aaaaaaaaaaaaaaaaaaaaa" })).to.equal(false);
    expect(validCredentials({ ...good, user: 'root' })).to.equal(false);
    expect(validCredentials({ ...good, database: 'a`b' })).to.equal(false);
  });

  it('builds the URLs bound apps get', () => {
    const c = { user: 'uabc1234', password: 'p'.repeat(32), database: 'my_db' };
    const endpoint = { host: 'my-db', port: 5432 };
    expect(connectionUrl('postgresql', endpoint, c)).to.equal(`postgres://uabc1234:${c.password}@my-db:5432/my_db`);
    expect(connectionUrl('mysql', { host: 'm', port: 3306 }, c)).to.equal(`mysql://uabc1234:${c.password}@m:3306/my_db`);
    expect(connectionUrl('redis', { host: 'r', port: 6379 }, c)).to.equal(`redis://uabc1234:${c.password}@r:6379`);
  });

  it('derives database names every kind accepts, and knows its kinds', () => {
    expect(databaseNameFor('1-weird-Name')).to.equal('weird_name');
    expect(databaseNameFor('123')).to.equal('db');
    expect(isAddonKind('redis')).to.equal(true);
    expect(isAddonKind('mongodb')).to.equal(false);
  });
});

describe('engine/addons/docker-exec FrameSplitter', () => {
  it('splits Docker frames cut anywhere into stdout and stderr', async () => {
    const frame = (type: number, text: string): Buffer => {
      const head = Buffer.alloc(8);
      head[0] = type;
      head.writeUInt32BE(Buffer.byteLength(text), 4);
      return Buffer.concat([head, Buffer.from(text)]);
    };
    const data = Buffer.concat([frame(1, 'hello '), frame(2, 'oops'), frame(1, 'world')]);
    const out = new PassThrough();
    const chunks: Buffer[] = [];
    out.on('data', (c: Buffer) => chunks.push(c));
    const splitter = new FrameSplitter(out);
    for (let i = 0; i < data.length; i += 3) splitter.write(data.subarray(i, i + 3));
    await new Promise<void>((resolve) => splitter.end(resolve));
    expect(Buffer.concat(chunks).toString()).to.equal('hello world');
    expect(splitter.stderr).to.equal('oops');
    const collecting = new FrameSplitter(null);
    await new Promise<void>((resolve) => collecting.end(data, resolve));
    expect(collecting.stdout).to.equal('hello world');
  });
});
