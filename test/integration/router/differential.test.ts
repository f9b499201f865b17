/**
 * Differential tests: the router against Node's llhttp (differential-oracle.ts) on every case of
 * the corpus (differential-corpus.ts), on both socket kinds of the fast path and over TLS (the
 * full proxy), each case sent whole and in small pieces. The invariants are listed in
 * differential-harness.ts; a failure shows llhttp's reading and what each side got.
 */
import { expect } from 'chai';
import { REQUEST_CASES, RESPONSE_CASES } from './differential-corpus';
import { DifferentialRig, SPLITS, TRANSPORTS, type Outcome, type Transport } from './differential-harness';

function verdict(outcome: Outcome): void {
  // In the corpus, a refusal of what llhttp accepts must be a deliberate one (routerMayRefuse).
  const broken = [...outcome.violations, ...outcome.stricter];
  expect(broken, `${broken.join('\n')}\n--\n${outcome.account}`).to.deep.equal([]);
}

for (const transport of TRANSPORTS) {
  describe(`differential: router vs llhttp (${transport === 'tls' ? 'TLS, full proxy' : `${transport} sockets`})`, function () {
    this.timeout(30_000);
    let rig: DifferentialRig;

    before(async () => {
      // The HTTPS port serves either way; its router runs on native sockets.
      rig = await DifferentialRig.start(transport === 'node' ? 'node' : 'native');
    });
    after(() => rig.close());

    for (const split of SPLITS) {
      describe(`requests, ${split}`, () => {
        for (const testCase of REQUEST_CASES) {
          it(`${testCase.rule}: ${testCase.name}`, async () => verdict(await rig.request(transport as Transport, testCase, split)));
        }
      });
      describe(`responses, ${split}`, () => {
        for (const testCase of RESPONSE_CASES) {
          it(`${testCase.rule}: ${testCase.name}`, async () => verdict(await rig.response(transport as Transport, testCase, split)));
        }
      });
    }
  });
}
