import { expect } from 'chai';
import { demultiplex } from '../../../engine/drivers/docker-driver';

function frame(stream: 1 | 2, text: string): Buffer {
  const payload = Buffer.from(text, 'utf8');
  const header = Buffer.alloc(8);
  header.writeUInt8(stream, 0);
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

describe('engine/drivers/docker-driver demultiplex (instance logs)', () => {
  it('demultiplex joins stdout and stderr frames in the order the process wrote them', () => {
    const buffer = Buffer.concat([frame(1, 'Listening on 5000\n'), frame(2, 'warning: ünïcode\n'), frame(1, 'GET / 200\n')]);
    expect(demultiplex(buffer)).to.equal('Listening on 5000\nwarning: ünïcode\nGET / 200\n');
  });

  it('demultiplex gives an empty string for no output and ignores a truncated header', () => {
    expect(demultiplex(Buffer.alloc(0))).to.equal('');
    expect(demultiplex(Buffer.concat([frame(1, 'ok\n'), Buffer.from([1, 0, 0])]))).to.equal('ok\n');
  });
});
