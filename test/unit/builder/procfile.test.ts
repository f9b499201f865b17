import { expect } from 'chai';
import { parse as parseYaml } from 'yaml';
import { parseProcfile, processTypesFromRelease } from '../../../builder/procfile';

describe('builder/procfile', () => {
  describe('parseProcfile', () => {
    it('reads one `type: command` per line', () => {
      expect(parseProcfile('web: node server.js\nworker: node worker.js\n')).to.deep.equal({
        web: 'node server.js',
        worker: 'node worker.js',
      });
    });

    it('skips comments and blank lines, and trims surrounding spaces', () => {
      const text = '# processes of the shop\n\n   \nweb:    npm start   \n  # worker: disabled\n\tclock: node clock.js\n';
      expect(parseProcfile(text)).to.deep.equal({ web: 'npm start', clock: 'node clock.js' });
    });

    it('reads a Procfile written on Windows (CRLF)', () => {
      expect(parseProcfile('web: npm start\r\nworker: node worker.js\r\n')).to.deep.equal({
        web: 'npm start',
        worker: 'node worker.js',
      });
    });

    it('splits at the first colon only, so commands keep their colons', () => {
      expect(parseProcfile('web: bundle exec puma -b tcp://0.0.0.0:$PORT\nrelease: echo "a:b" && ./migrate')).to.deep.equal({
        web: 'bundle exec puma -b tcp://0.0.0.0:$PORT',
        release: 'echo "a:b" && ./migrate',
      });
    });

    it('accepts type names with digits, dashes and underscores, and no space after the colon', () => {
      expect(parseProcfile('web:node a.js\nworker_2: x\nhigh-prio: y')).to.deep.equal({ web: 'node a.js', worker_2: 'x', 'high-prio': 'y' });
    });

    it('ignores lines that are not process declarations, and types without a command', () => {
      expect(parseProcfile('just some text\nweb:\nweb server: x\n: y\nworker: z')).to.deep.equal({ worker: 'z' });
    });

    it('lets a later line of the same type win', () => {
      expect(parseProcfile('web: old\nweb: new')).to.deep.equal({ web: 'new' });
    });

    it('gives no process types for an empty Procfile', () => {
      expect(parseProcfile('')).to.deep.equal({});
    });
  });

  describe('processTypesFromRelease (a buildpack\'s bin/release)', () => {
    it('takes default_process_types from the parsed YAML', () => {
      const release = parseYaml('---\naddons: []\ndefault_process_types:\n  web: npm start\n  worker: "node worker.js "\n');
      expect(processTypesFromRelease(release)).to.deep.equal({ web: 'npm start', worker: 'node worker.js' });
    });

    it('ignores commands that are empty or not strings', () => {
      expect(processTypesFromRelease({ default_process_types: { web: '  ', worker: 5, clock: null, ok: 'run' } })).to.deep.equal({ ok: 'run' });
    });

    it('gives no process types when the release says nothing usable', () => {
      for (const release of [null, undefined, 'web: x', 42, {}, { default_process_types: null }, { default_process_types: 'web: x' }]) {
        expect(processTypesFromRelease(release), JSON.stringify(release)).to.deep.equal({});
      }
    });
  });
});
