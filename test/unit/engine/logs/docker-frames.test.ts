import { expect } from 'chai';
import { DockerLogParser, dockerTimeNanos, sinceParameter } from '../../../../engine/logs/docker-frames';

function frame(stream: 1 | 2, text: string): Buffer {
  const body = Buffer.from(text, 'utf8');
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(body.length, 4);
  return Buffer.concat([header, body]);
}

describe('engine/logs/docker-frames', () => {
  it('takes lines out of stdout and stderr frames, with Docker\'s times', () => {
    const parser = new DockerLogParser();
    const lines = parser.push(Buffer.concat([
      frame(1, '2026-12-05T18:00:00.000000001Z hello\n'),
      frame(2, '2026-12-05T18:00:00.5Z oops\n'),
    ]));
    expect(lines).to.deep.equal([
      { time: '2026-12-05T18:00:00.000000001Z', text: 'hello', stream: 'stdout' },
      { time: '2026-12-05T18:00:00.5Z', text: 'oops', stream: 'stderr' },
    ]);
  });

  it('joins frames and lines split anywhere, byte by byte', () => {
    const all = Buffer.concat([frame(1, '2026-12-05T18:00:00Z one\n2026-12-05T18:00:01Z t'), frame(1, 'wo\n')]);
    const parser = new DockerLogParser();
    const lines = [];
    for (let i = 0; i < all.length; i += 1) lines.push(...parser.push(all.subarray(i, i + 1)));
    expect(lines.map((l) => l.text)).to.deep.equal(['one', 'two']);
  });

  it('keeps the last line without a newline when the stream ends (a crash mid-line)', () => {
    const parser = new DockerLogParser();
    expect(parser.push(frame(1, '2026-12-05T18:00:00Z last words'))).to.deep.equal([]);
    expect(parser.end().map((l) => l.text)).to.deep.equal(['last words']);
  });

  it('reads a terminal\'s raw output', () => {
    const parser = new DockerLogParser(true);
    expect(parser.push(Buffer.from('2026-12-05T18:00:00Z raw\r\n')).map((l) => l.text)).to.deep.equal(['raw\r']);
  });

  it('compares times to the nanosecond and resumes from the same one', () => {
    expect(dockerTimeNanos('2026-12-05T18:00:00.000000002Z') > dockerTimeNanos('2026-12-05T18:00:00.000000001Z')).to.equal(true);
    expect(dockerTimeNanos('2026-12-05T18:00:00.5Z')).to.equal(dockerTimeNanos('2026-12-05T18:00:00.500000000Z'));
    expect(sinceParameter('2026-12-05T18:00:00.5Z')).to.equal(`${Date.UTC(2026, 11, 5, 18) / 1000}.500000000`);
  });
});
