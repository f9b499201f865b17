import { expect } from 'chai';
import { startupOutputTail, startupOutputText } from '../../../engine/startup-output';

/** What `npm start` printed for an Express app that could not find a module (npm 6). */
const NPM6 = [
  '',
  '> shop@1.0.0 start /app',
  '> node server.js',
  '',
  'internal/modules/cjs/loader.js:638',
  '    throw err;',
  '    ^',
  '',
  "Error: Cannot find module 'express'",
  '    at Function.Module._resolveFilename (internal/modules/cjs/loader.js:636:15)',
  'npm ERR! code ELIFECYCLE',
  'npm ERR! errno 1',
  'npm ERR! shop@1.0.0 start: `node server.js`',
  'npm ERR! Exit status 1',
  'npm ERR! ',
  'npm ERR! Failed at the shop@1.0.0 start script.',
  'npm ERR! This is probably not a problem with npm. There is likely additional logging output above.',
  '',
  'npm ERR! A complete log of this run can be found in:',
  'npm ERR!     /app/.npm/_logs/2026-12-05T20_00_00_000Z-debug.log',
  '',
].join('\n');

/** The same failure under npm 10 (`npm error`). */
const NPM10 = [
  "Error: Cannot find module 'express'",
  'Require stack:',
  '- /app/server.js',
  'npm error path /app',
  'npm error command failed',
  'npm error command sh -c node server.js',
  'npm error A complete log of this run can be found in: /app/.npm/_logs/x-debug-0.log',
].join('\n');

describe('engine/startup-output', () => {
  describe('startupOutputTail', () => {
    it('leaves out npm\'s own ERR! lines so the app\'s error is in the tail', () => {
      const { lines, dropped } = startupOutputTail(NPM6, 4);
      expect(lines).to.deep.equal([
        '    ^',
        '',
        "Error: Cannot find module 'express'",
        '    at Function.Module._resolveFilename (internal/modules/cjs/loader.js:636:15)',
      ]);
      expect(dropped).to.equal(9);
    });

    it('leaves out npm 9+\'s "npm error" lines too', () => {
      expect(startupOutputTail(NPM10, 10).lines).to.deep.equal(["Error: Cannot find module 'express'", 'Require stack:', '- /app/server.js']);
    });

    it('keeps every line of a log without npm\'s lines, as written, the last ones only', () => {
      const log = 'booting\r\nError: listen EADDRINUSE :::3000\n    at server.js:3\n';
      expect(startupOutputTail(log, 2)).to.deep.equal({ lines: ['Error: listen EADDRINUSE :::3000', '    at server.js:3'], dropped: 0 });
    });

    it('keeps lines that merely mention npm or ERR! and are the app\'s own', () => {
      const log = 'npm WARN config production Use `--omit=dev` instead.\nlogger: npm ERR! seen in a build\nnpmERR! not npm\n';
      expect(startupOutputTail(log, 10).lines).to.deep.equal(log.trimEnd().split('\n'));
    });

    it('keeps npm\'s lines when they are all the process wrote', () => {
      const log = 'npm ERR! code ENOENT\nnpm ERR! syscall open\nnpm ERR! path /app/package.json\n';
      expect(startupOutputTail(log, 10)).to.deep.equal({ lines: log.trimEnd().split('\n'), dropped: 0 });
    });

    it('answers no lines for an empty log', () => {
      expect(startupOutputTail('', 5)).to.deep.equal({ lines: [], dropped: 0 });
      expect(startupOutputTail('\n\n', 5)).to.deep.equal({ lines: [], dropped: 0 });
    });
  });

  describe('startupOutputText', () => {
    it('quotes the tail and says npm\'s lines were left out', () => {
      expect(startupOutputText(NPM10, 2)).to.equal("\nLast lines of its log (npm's own error lines left out):\nRequire stack:\n- /app/server.js");
    });

    it('says the process wrote nothing when it did not', () => {
      expect(startupOutputText('', 20)).to.equal('\nIt wrote nothing to its log.');
    });

    it('quotes a log without npm lines as before', () => {
      expect(startupOutputText('Error: boom\n', 20)).to.equal('\nLast lines of its log:\nError: boom');
    });
  });
});
