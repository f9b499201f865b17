import { expect } from 'chai';
import { EMPTY_APP_JSON, ignoredAppJsonParts, parseAppJson, parseMemory, type HealthCheck } from '../../../engine/app-json';
import { SlipwayError } from '../../../lib/errors';

function failure(fn: () => unknown): SlipwayError {
  try {
    fn();
  } catch (error) {
    expect(error).to.be.instanceOf(SlipwayError);
    return error as SlipwayError;
  }
  throw new Error('expected a SlipwayError');
}

/** parseAppJson of a value written as JSON. */
const parse = (doc: unknown) => parseAppJson(JSON.stringify(doc));

/** The build failure an app.json causes. */
function refused(doc: unknown): string {
  const error = failure(() => parse(doc));
  expect(error.code).to.equal('build_failed');
  return error.message;
}

const check = (fields: Record<string, unknown>) => parse({ healthchecks: { web: [fields] } }).healthchecks.web![0]!;

describe('engine/app-json', () => {
  describe('parseAppJson: the file itself', () => {
    it('treats a commit without app.json, or an empty one, as asking for nothing', () => {
      for (const text of [null, '', '   \n\t ']) {
        expect(parseAppJson(text)).to.deep.equal({ formation: {}, healthchecks: {}, scripts: {} });
      }
      expect(parseAppJson(null)).to.equal(EMPTY_APP_JSON);
    });

    it('accepts an object without any of the keys Slipway reads', () => {
      expect(parse({ name: 'Shop', description: 'x', env: { A: { value: '1' } } })).to.deep.equal({ formation: {}, healthchecks: {}, scripts: {} });
    });

    it('fails the build when app.json is not JSON, quoting the parser', () => {
      const error = failure(() => parseAppJson('{"formation": '));
      expect(error.code).to.equal('build_failed');
      expect(error.message).to.match(/^app\.json: not valid JSON \(.+\)$/);
    });

    it('fails the build when app.json is JSON but not an object', () => {
      for (const text of ['[]', '[{"formation": {}}]', 'null', '"web"', '42', 'true']) {
        const error = failure(() => parseAppJson(text));
        expect(error.code, text).to.equal('build_failed');
        expect(error.message, text).to.equal('app.json: must be a JSON object');
      }
    });
  });

  describe('parseAppJson: formation', () => {
    it('reads quantity, memory and cpu of each process type', () => {
      expect(parse({ formation: { web: { quantity: 2, memory: '1g', cpu: 1.5 }, worker: { quantity: 1, memory: '256m' } } }).formation)
        .to.deep.equal({ web: { quantity: 2, memoryMb: 1024, cpu: 1.5 }, worker: { quantity: 1, memoryMb: 256 } });
    });

    it('leaves out what a type does not set, so the platform defaults apply', () => {
      expect(parse({ formation: { web: {}, clock: null, worker: { quantity: 0 } } }).formation)
        .to.deep.equal({ web: {}, clock: {}, worker: { quantity: 0 } });
    });

    it('rounds a fractional quantity down', () => {
      expect(parse({ formation: { web: { quantity: 2.9 } } }).formation).to.deep.equal({ web: { quantity: 2 } });
    });

    it('reads a memory given as a plain number as megabytes', () => {
      expect(parse({ formation: { web: { memory: 768 } } }).formation).to.deep.equal({ web: { memoryMb: 768 } });
    });

    it('refuses a negative or non-numeric quantity, naming the field', () => {
      expect(refused({ formation: { web: { quantity: -1 } } })).to.equal('app.json: formation.web.quantity must be a number ≥ 0');
      expect(refused({ formation: { web: { quantity: '2' } } })).to.equal('app.json: formation.web.quantity must be a number ≥ 0');
    });

    it('refuses a CPU limit below 0.01 cores or not a number', () => {
      expect(refused({ formation: { worker: { cpu: 0 } } })).to.equal('app.json: formation.worker.cpu must be a number ≥ 0.01');
      expect(refused({ formation: { worker: { cpu: 'half' } } })).to.equal('app.json: formation.worker.cpu must be a number ≥ 0.01');
      expect(parse({ formation: { worker: { cpu: 0.01 } } }).formation).to.deep.equal({ worker: { cpu: 0.01 } });
    });

    it('refuses a memory size it cannot read, with the memory-size advice', () => {
      const error = failure(() => parse({ formation: { web: { memory: 'lots' } } }));
      expect(error.message).to.include('"lots" is not a memory size. Use megabytes or gigabytes, like 512m or 1g.');
    });
  });

  describe('parseAppJson: healthchecks (Dokku format)', () => {
    it('reads every field of a check', () => {
      const doc = {
        healthchecks: {
          web: [{
            type: 'readiness', name: 'db reachable', path: '/health/db', content: '"db":"ok"',
            attempts: 5, wait: 2, timeout: 1.5, initialDelay: 10,
          }],
        },
      };
      expect(parse(doc).healthchecks).to.deep.equal({
        web: [{
          type: 'readiness', name: 'db reachable', path: '/health/db', content: '"db":"ok"',
          attempts: 5, wait: 2, timeout: 1.5, initialDelay: 10,
        } satisfies HealthCheck],
      });
    });

    it('defaults to a startup check with 3 attempts 5 s apart, a 5 s timeout and no initial delay', () => {
      expect(check({ path: '/health' })).to.deep.equal({
        type: 'startup', name: 'startup check /health', path: '/health', content: null,
        attempts: 3, wait: 5, timeout: 5, initialDelay: 0,
      });
    });

    it('names an unnamed check after its type and path', () => {
      expect(check({ type: 'liveness', path: '/live' }).name).to.equal('liveness check /live');
      expect(check({ type: 'readiness' }).name).to.equal('readiness check');
    });

    it('reads a check without a path as "the process stays up"', () => {
      expect(check({ type: 'startup', attempts: 2 })).to.include({ path: null, content: null, attempts: 2 });
    });

    it('keeps the checks of each process type in their order', () => {
      const doc = { healthchecks: { web: [{ path: '/a' }, { path: '/b', type: 'liveness' }], worker: [{ name: 'up' }] } };
      const { healthchecks } = parse(doc);
      expect(Object.keys(healthchecks)).to.deep.equal(['web', 'worker']);
      expect(healthchecks.web!.map((c) => [c.type, c.path])).to.deep.equal([['startup', '/a'], ['liveness', '/b']]);
      expect(healthchecks.worker!.map((c) => c.name)).to.deep.equal(['up']);
    });

    it('rounds attempts down and accepts zero wait and initial delay', () => {
      expect(check({ path: '/', attempts: 2.7, wait: 0, initialDelay: 0 })).to.include({ attempts: 2, wait: 0, initialDelay: 0 });
    });

    it('refuses an unknown check type, listing the known ones', () => {
      expect(refused({ healthchecks: { web: [{ type: 'smoke', path: '/' }] } }))
        .to.equal('app.json: healthchecks.web[0].type must be one of startup, liveness, readiness');
    });

    it('refuses a path that does not start with /', () => {
      expect(refused({ healthchecks: { web: [{ path: '/' }, { path: 'health' }] } }))
        .to.equal('app.json: healthchecks.web[1].path must start with /');
    });

    it('refuses numbers of the wrong type, naming the field and its range', () => {
      const cases: Array<[Record<string, unknown>, string]> = [
        [{ attempts: '3' }, 'app.json: healthchecks.web[0].attempts must be a number from 1 to 60'],
        [{ initialDelay: null }, 'app.json: healthchecks.web[0].initialDelay must be a number from 0 to 600 s'],
        [{ timeout: 'Infinity' }, 'app.json: healthchecks.web[0].timeout must be a number from 0.1 to 60 s'],
      ];
      for (const [fields, message] of cases) {
        expect(refused({ healthchecks: { web: [{ path: '/', ...fields }] } }), JSON.stringify(fields)).to.equal(message);
      }
    });

    it('refuses absurd attempts, wait, timeout and initialDelay, naming the field, its value and the allowed range', () => {
      const cases: Array<[Record<string, unknown>, string]> = [
        [{ attempts: 1e6 }, 'healthchecks.web[0].attempts is 1000000, out of range: it must be from 1 to 60'],
        [{ attempts: 0 }, 'healthchecks.web[0].attempts is 0, out of range: it must be from 1 to 60'],
        [{ wait: 1e5 }, 'healthchecks.web[0].wait is 100000, out of range: it must be from 0 to 60 s'],
        [{ wait: -1 }, 'healthchecks.web[0].wait is -1, out of range: it must be from 0 to 60 s'],
        [{ timeout: 1e5 }, 'healthchecks.web[0].timeout is 100000, out of range: it must be from 0.1 to 60 s'],
        [{ timeout: 0 }, 'healthchecks.web[0].timeout is 0, out of range: it must be from 0.1 to 60 s'],
        [{ initialDelay: 86400 }, 'healthchecks.web[0].initialDelay is 86400, out of range: it must be from 0 to 600 s'],
      ];
      for (const [fields, message] of cases) {
        expect(refused({ healthchecks: { web: [{ path: '/', ...fields }] } }), JSON.stringify(fields))
          .to.equal(`app.json: ${message}. Lower it and push again`);
      }
    });

    it('accepts the bounds themselves', () => {
      expect(check({ path: '/', attempts: 60, wait: 60, timeout: 60, initialDelay: 600 }))
        .to.include({ attempts: 60, wait: 60, timeout: 60, initialDelay: 600 });
      expect(check({ path: '/', attempts: 1, wait: 0, timeout: 0.1, initialDelay: 0 }))
        .to.include({ attempts: 1, wait: 0, timeout: 0.1, initialDelay: 0 });
    });

    it('brings absurd values into range when reading a build stored before the bounds (clamp mode)', () => {
      const text = JSON.stringify({ healthchecks: { web: [{ path: '/', attempts: 1e6, wait: 1e5, timeout: 1e5, initialDelay: -1 }] } });
      expect(parseAppJson(text, 'clamp').healthchecks.web![0]).to.include({ attempts: 60, wait: 60, timeout: 60, initialDelay: 0 });
    });

    it('refuses checks that are not a list, and a check that is not an object', () => {
      expect(refused({ healthchecks: { web: { path: '/' } } })).to.equal('app.json: healthchecks.web must be a list of checks');
      expect(refused({ healthchecks: { worker: ['/health'] } })).to.equal('app.json: healthchecks.worker[0] must be an object');
      expect(refused({ healthchecks: { worker: [null] } })).to.equal('app.json: healthchecks.worker[0] must be an object');
    });
  });

  describe('parseAppJson: scripts', () => {
    it('keeps the postdeploy script as written', () => {
      expect(parse({ scripts: { postdeploy: 'npm run migrate && echo done' } }).scripts).to.deep.equal({ postdeploy: 'npm run migrate && echo done' });
    });

    it('ignores a blank or non-text postdeploy, and other scripts', () => {
      expect(parse({ scripts: { postdeploy: '   ' } }).scripts).to.deep.equal({});
      expect(parse({ scripts: { postdeploy: ['npm', 'run'] } }).scripts).to.deep.equal({});
      expect(parse({ scripts: { 'pr-predestroy': 'x', test: 'npm test' } }).scripts).to.deep.equal({});
    });

    it('reads Dokku\'s scripts.dokku.predeploy and postdeploy beside Heroku\'s postdeploy', () => {
      expect(parse({ scripts: { postdeploy: 'seed', dokku: { predeploy: 'migrate', postdeploy: 'notify' } } }).scripts)
        .to.deep.equal({ postdeploy: 'seed', dokkuPredeploy: 'migrate', dokkuPostdeploy: 'notify' });
      expect(parse({ scripts: { dokku: { predeploy: ' ', postdeploy: 3 } } }).scripts).to.deep.equal({});
      expect(parse({ scripts: { dokku: 'migrate' } }).scripts).to.deep.equal({});
    });
  });

  describe('ignoredAppJsonParts', () => {
    it('says nothing of what Slipway reads or what only describes the app', () => {
      const doc = {
        $schema: 'app.schema.json', name: 'x', description: 'y', keywords: ['a'], website: 'w', repository: 'r', logo: 'l', success_url: '/',
        env: {}, buildpacks: [], formation: {}, healthchecks: {}, scripts: { postdeploy: 'a', dokku: { predeploy: 'b', postdeploy: 'c' } },
      };
      expect(ignoredAppJsonParts(JSON.stringify(doc))).to.deep.equal([]);
      expect(ignoredAppJsonParts(null)).to.deep.equal([]);
      expect(ignoredAppJsonParts('{not json')).to.deep.equal([]);
    });

    it('names each part that Heroku or Dokku would act on and Slipway ignores', () => {
      const doc = {
        addons: ['heroku-postgresql'], cron: [{ command: 'x', schedule: '@daily' }], stack: 'heroku-22',
        scripts: { test: 'npm test', postdeploy: '  ', dokku: { predeploy: 'migrate', prebuild: 'x', postdeploy: '' } },
      };
      expect(ignoredAppJsonParts(JSON.stringify(doc))).to.deep.equal([
        'addons is not supported by Slipway and is ignored',
        'cron is not supported by Slipway and is ignored',
        'stack is not supported by Slipway and is ignored',
        'scripts.test is not run by Slipway and is ignored',
        'scripts.postdeploy is not a command (a non-empty string) and is ignored',
        'scripts.dokku.prebuild is not run by Slipway and is ignored (predeploy and postdeploy are)',
        'scripts.dokku.postdeploy is not a command (a non-empty string) and is ignored',
      ]);
      expect(ignoredAppJsonParts(JSON.stringify({ scripts: { dokku: 'migrate' } })))
        .to.deep.equal(['scripts.dokku is not an object like {"predeploy": "…"} and is ignored']);
    });
  });

  describe('parseMemory', () => {
    it('reads megabytes with or without a unit', () => {
      expect(parseMemory('512m')).to.equal(512);
      expect(parseMemory('512M')).to.equal(512);
      expect(parseMemory('512mb')).to.equal(512);
      expect(parseMemory('512MB')).to.equal(512);
      expect(parseMemory('256')).to.equal(256);
    });

    it('reads gigabytes as 1024 megabytes each, fractions included', () => {
      expect(parseMemory('1g')).to.equal(1024);
      expect(parseMemory('2G')).to.equal(2048);
      expect(parseMemory('1GB')).to.equal(1024);
      expect(parseMemory('1.5g')).to.equal(1536);
      expect(parseMemory('0.5g')).to.equal(512);
    });

    it('tolerates spaces around the size and between number and unit', () => {
      expect(parseMemory(' 512 m ')).to.equal(512);
      expect(parseMemory('1 GB')).to.equal(1024);
    });

    it('rounds fractional megabytes to whole ones', () => {
      expect(parseMemory('100.4m')).to.equal(100);
      expect(parseMemory('100.6')).to.equal(101);
    });

    it('accepts 16 MB, the least a process may have, and refuses less', () => {
      expect(parseMemory('16m')).to.equal(16);
      for (const text of ['15m', '8', '0', '0.01g']) {
        const error = failure(() => parseMemory(text));
        expect(error.code, text).to.equal('invalid_request');
        expect(error.message, text).to.equal(`${text} is too little memory for a process (16m at least).`);
      }
    });

    it('refuses text that is not a size, saying how to write one', () => {
      for (const text of ['', 'lots', '-512m', '512k', '1t', '1,5g', 'm', '512 megabytes', '1e3']) {
        const error = failure(() => parseMemory(text));
        expect(error.code, text).to.equal('invalid_request');
        expect(error.message, text).to.equal(`"${text}" is not a memory size. Use megabytes or gigabytes, like 512m or 1g.`);
      }
    });
  });
});
