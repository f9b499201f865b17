import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Writable } from 'node:stream';
import { expect } from 'chai';
import {
  MysqlDumpCounter, PgDumpCounter, RdbCounter, compareCounts, parseRdbHead,
} from '../../../../engine/addons/dump-counts';

/** Feeds `text` through `counter` in chunks of `size` bytes (lines cut anywhere). */
async function feed<T extends PgDumpCounter | MysqlDumpCounter | RdbCounter>(counter: T, data: Buffer, size = 7): Promise<T> {
  const chunks: Buffer[] = [];
  for (let i = 0; i < data.length; i += size) chunks.push(data.subarray(i, i + size));
  const sink = new Writable({ write: (_c, _e, cb) => cb() });
  await pipeline(Readable.from(chunks), counter, sink);
  return counter;
}

const PG_DUMP = [
  '--',
  '-- PostgreSQL database dump',
  'CREATE TABLE public.items (id integer, label text);',
  'COPY public.items (id, label) FROM stdin;',
  '1\tone',
  '2\ttwo\\nlines',
  '3\tCOPY public.fake (x) FROM stdin;',
  '\\.',
  'COPY public."Mixed Case" (id) FROM stdin;',
  '\\.',
  'COPY other.logs (id) FROM stdin;',
  '7',
  '\\.',
  '',
  '-- PostgreSQL database dump complete',
  '',
].join('\n');

describe('engine/addons/dump-counts', () => {
  it('counts pg_dump COPY rows per table, empty tables included, across any chunking', async () => {
    for (const size of [1, 3, 7, 4096]) {
      const counter = await feed(new PgDumpCounter(), Buffer.from(PG_DUMP), size);
      expect(counter.counts).to.deep.equal({ 'public.items': 3, 'public."Mixed Case"': 0, 'other.logs': 1 });
      expect(counter.complete).to.equal(true);
    }
  });

  it('knows a pg_dump cut short', async () => {
    const counter = await feed(new PgDumpCounter(), Buffer.from(PG_DUMP.slice(0, PG_DUMP.length - 60)));
    expect(counter.complete).to.equal(false);
  });

  it('counts mysqldump single-row INSERTs per table, with doubled backticks undone', async () => {
    const dump = [
      'CREATE TABLE `items` (',
      '  `id` int NOT NULL',
      ');',
      "INSERT INTO `items` VALUES (1,'a');",
      "INSERT INTO `items` VALUES (2,'INSERT INTO `x` VALUES (1);');",
      'CREATE TABLE `we``ird` (',
      ');',
      'CREATE TABLE `empty` (',
      ');',
      "INSERT INTO `we``ird` VALUES (1);",
      '-- Dump completed on 2026-12-05 23:00:00',
      '',
    ].join('\n');
    const counter = await feed(new MysqlDumpCounter(), Buffer.from(dump), 5);
    expect(counter.counts).to.deep.equal({ items: 2, 'we`ird': 1, empty: 0 });
    expect(counter.complete).to.equal(true);
  });

  it('reads the key count of the first database from an RDB head, and checks its end', async () => {
    const aux = (key: string, value: Buffer): Buffer => Buffer.concat([Buffer.from([0xfa, key.length]), Buffer.from(key), value]);
    const rdb = Buffer.concat([
      Buffer.from('REDIS0010'),
      aux('redis-ver', Buffer.concat([Buffer.from([6]), Buffer.from('7.0.15')])),
      aux('redis-bits', Buffer.from([0xc0, 64])),
      aux('ctime', Buffer.from([0xc2, 1, 2, 3, 4])),
      aux('used-mem', Buffer.from([0xc3, 2, 3, 0xaa, 0xbb])), // an LZF string: 2 compressed bytes
      Buffer.from([0xfe, 0x00, 0xfb, 0x41, 0x2c, 0x05]), // SELECTDB 0, RESIZEDB 300 keys, 5 expiring
      Buffer.from([0x00, 0x01, 0x61, 0x01, 0x62]), // a key
      Buffer.from([0xff, 1, 2, 3, 4, 5, 6, 7, 8]),
    ]);
    expect(parseRdbHead(rdb)).to.deep.equal({ db0: 300 });
    const counter = await feed(new RdbCounter(), rdb, 3);
    expect(counter.counts).to.deep.equal({ db0: 300 });
    expect(counter.complete).to.equal(true);
    expect((await feed(new RdbCounter(), rdb.subarray(0, rdb.length - 4))).complete).to.equal(false);
    expect(parseRdbHead(Buffer.concat([Buffer.from('REDIS0010'), Buffer.from([0xff])]))).to.deep.equal({});
    expect(() => parseRdbHead(Buffer.from('NOTREDIS!'))).to.throw('not a Redis RDB file');
  });

  it('describes every difference between expected and restored counts', () => {
    expect(compareCounts({ a: 1, b: 2 }, { a: 1, b: 2 }, 'rows')).to.deep.equal([]);
    expect(compareCounts({ a: 1, b: 2 }, { a: 0, c: 4 }, 'rows')).to.deep.equal([
      'a: expected 1 rows, found 0',
      'b: expected 2 rows, missing after restoring',
      'c: not in the backup, found 4 rows after restoring',
    ]);
  });
});
