import { expect } from 'chai';
import {
  ATTACH_PROTOCOL, FrameDecoder, FrameError, FrameType, HEADER_BYTES, MAX_PAYLOAD,
  encodeData, encodeFrame, encodeJson, parseError, parseExit, parseResize,
} from '../../../api/attach-protocol';

describe('api/attach-protocol frame codec', () => {
  it('names the protocol version in the Upgrade token', () => {
    expect(ATTACH_PROTOCOL).to.equal('slipway-attach/1');
  });

  it('encodes [type][length, 4 bytes big-endian][payload]', () => {
    expect(encodeFrame(FrameType.stdout, 'hi')).to.deep.equal(Buffer.from([0x01, 0, 0, 0, 2, 0x68, 0x69]));
    expect(encodeFrame(FrameType.stdinEof)).to.deep.equal(Buffer.from([0x04, 0, 0, 0, 0]));
    const big = encodeFrame(FrameType.stdin, Buffer.alloc(0x01_02_03, 7));
    expect([...big.subarray(0, HEADER_BYTES)]).to.deep.equal([0x00, 0x00, 0x01, 0x02, 0x03]);
    expect(big.length).to.equal(HEADER_BYTES + 0x01_02_03);
  });

  it('uses the documented type numbers', () => {
    expect(FrameType).to.deep.equal({ stdin: 0, stdout: 1, stderr: 2, resize: 3, stdinEof: 4, exit: 5, error: 6 });
  });

  it('decodes frames whatever the chunking, byte by byte included', () => {
    const stream = Buffer.concat([
      encodeFrame(FrameType.stdout, 'hello'),
      encodeFrame(FrameType.stderr, ''),
      encodeJson(FrameType.exit, { code: 3 }),
    ]);
    const whole = new FrameDecoder().push(stream);
    expect(whole.map((f) => [f.type, f.payload.toString()])).to.deep.equal([[1, 'hello'], [2, ''], [5, '{"code":3}']]);

    const decoder = new FrameDecoder();
    const bytewise = [];
    for (const byte of stream) bytewise.push(...decoder.push(Buffer.from([byte])));
    expect(bytewise).to.deep.equal(whole);
    expect(decoder.pendingBytes).to.equal(0);

    const split = new FrameDecoder();
    expect(split.push(stream.subarray(0, 7))).to.have.length(0);
    expect(split.pendingBytes).to.equal(7);
    expect(split.push(stream.subarray(7))).to.deep.equal(whole);
  });

  it('gives payloads that stay valid after later chunks arrive', () => {
    const decoder = new FrameDecoder();
    const chunk = Buffer.concat([encodeFrame(FrameType.stdin, 'abc'), encodeFrame(FrameType.stdin, 'de').subarray(0, 3)]);
    const [first] = decoder.push(chunk);
    chunk.fill(0);
    expect(first!.payload.toString()).to.equal('abc');
  });

  it('refuses frames over the maximum payload, both ways', () => {
    expect(() => encodeFrame(FrameType.stdin, Buffer.alloc(MAX_PAYLOAD + 1))).to.throw(FrameError);
    expect(() => encodeFrame(256)).to.throw(FrameError);
    const header = Buffer.from([0x01, 0, 0, 0, 0]);
    header.writeUInt32BE(MAX_PAYLOAD + 1, 1);
    expect(() => new FrameDecoder().push(header)).to.throw(FrameError, /over/);
  });

  it('splits large data into frames of at most the maximum payload', () => {
    const data = Buffer.alloc(MAX_PAYLOAD * 2 + 10, 1);
    const frames = encodeData(FrameType.stdout, data);
    expect(frames.map((f) => f.length - HEADER_BYTES)).to.deep.equal([MAX_PAYLOAD, MAX_PAYLOAD, 10]);
    const decoded = new FrameDecoder().push(Buffer.concat(frames));
    expect(Buffer.concat(decoded.map((f) => f.payload)).equals(data)).to.equal(true);
    expect(encodeData(FrameType.stdout, Buffer.from('x'))).to.have.length(1);
  });

  it('reads resize, exit and error payloads, refusing nonsense', () => {
    expect(parseResize(Buffer.from('{"cols":120,"rows":40}'))).to.deep.equal({ cols: 120, rows: 40 });
    for (const bad of ['{"cols":0,"rows":40}', '{"cols":1.5,"rows":4}', '{"cols":"80","rows":24}', '[80,24]', 'nope', '{"cols":100000,"rows":1}']) {
      expect(parseResize(Buffer.from(bad)), bad).to.equal(null);
    }
    expect(parseExit(Buffer.from('{"code":0}'))).to.equal(0);
    expect(parseExit(Buffer.from('{"code":255}'))).to.equal(255);
    expect(parseExit(Buffer.from('{"code":-1}'))).to.equal(1);
    expect(parseExit(Buffer.from('garbage'))).to.equal(1);
    expect(parseError(encodeJson(FrameType.error, { code: 'no_release', message: 'deploy first' }).subarray(HEADER_BYTES)))
      .to.deep.equal({ code: 'no_release', message: 'deploy first' });
    expect(parseError(Buffer.from('{}'))).to.deep.equal({ code: 'internal', message: 'The one-off process failed.' });
  });
});
