import { expect } from 'chai';
import { CliError } from '../../../cli/cli-error';
import { follow, SseParser, type SseEvent } from '../../../cli/event-stream';
import { editLine } from '../../../cli/prompt';

function body(...chunks: string[]): Response {
  const encoder = new TextEncoder();
  return new Response(new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
      controller.close();
    },
  }));
}

describe('cli/event-stream', () => {
  describe('SseParser', () => {
    it('dispatches an event at the blank line, with its id, type and data', () => {
      const parser = new SseParser();
      expect(parser.push('id: 7\nevent: audit\ndata: {"a":1}\n')).to.deep.equal([]);
      expect(parser.push('\n')).to.deep.equal([{ id: '7', event: 'audit', data: '{"a":1}' }]);
    });

    it('joins data lines, takes any line ending, skips comments, keeps the last id for later events', () => {
      const parser = new SseParser();
      const events = parser.push(': heartbeat\r\nid: 1\r\ndata: a\r\ndata:b\r\n\r\ndata: c\r\r\n');
      expect(events).to.deep.equal([{ id: '1', event: 'message', data: 'a\nb' }, { id: '1', event: 'message', data: 'c' }]);
    });

    it('waits for the rest of a line split across chunks, a \\r\\n split too', () => {
      const parser = new SseParser();
      expect(parser.push('data: hel')).to.deep.equal([]);
      expect(parser.push('lo\r')).to.deep.equal([]);
      expect(parser.push('\n\r\n')).to.deep.equal([{ id: null, event: 'message', data: 'hello' }]);
    });

    it('reads retry: and ignores an event without data', () => {
      const parser = new SseParser();
      expect(parser.push('retry: 2500\nevent: ping\n\n')).to.deep.equal([]);
      expect(parser.retryMs).to.equal(2500);
    });
  });

  describe('follow', () => {
    it('reconnects after the stream ends, from the last id, and stops when aborted', async () => {
      const stop = new AbortController();
      const opened: Array<string | null> = [];
      const seen: SseEvent[] = [];
      const waits: number[] = [];
      await follow({
        lastEventId: '10',
        open: async (lastEventId) => {
          opened.push(lastEventId);
          if (opened.length === 1) return body('id: 11\ndata: x\n\n');
          if (opened.length === 2) throw new CliError('The Slipway API is not reachable');
          stop.abort();
          return body();
        },
        onEvent: (event) => seen.push(event),
        signal: stop.signal,
        sleep: async (ms) => { waits.push(ms); },
      });
      expect(opened).to.deep.equal(['10', '11', '11']);
      expect(seen.map((e) => e.id)).to.deep.equal(['11']);
      expect(waits).to.deep.equal([1000, 2000]);
    });

    it('gives up at once on a refusal (4xx)', async () => {
      let error: unknown;
      try {
        await follow({
          lastEventId: null,
          open: async () => { throw new CliError('forbidden', 'forbidden', 403); },
          onEvent: () => undefined,
          sleep: async () => { throw new Error('no wait expected'); },
        });
      } catch (e) {
        error = e;
      }
      expect(error).to.be.instanceOf(CliError);
    });
  });

  describe('editLine (the hidden password prompt)', () => {
    it('ends at Enter, handles backspace, Ctrl-C and Ctrl-D', () => {
      expect(editLine('', 'ab\u007fc\r')).to.deep.equal({ line: 'ac', end: 'enter' });
      expect(editLine('pa', 'ss')).to.deep.equal({ line: 'pass', end: null });
      expect(editLine('x', '\u0003')).to.deep.equal({ line: 'x', end: 'interrupt' });
      expect(editLine('', '\u0004')).to.deep.equal({ line: '', end: 'eof' });
      expect(editLine('pw', '\u0004')).to.deep.equal({ line: 'pw', end: 'enter' });
      expect(editLine('', 'é\u007f\u007fz\n')).to.deep.equal({ line: 'z', end: 'enter' });
    });
  });
});
