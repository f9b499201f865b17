/**
 * The differential fuzzer: valid requests and responses, mutated (bytes inserted, deleted or
 * replaced from a dictionary of what HTTP parsers disagree on, lines duplicated, CRLF turned into
 * LF), sent through a router in this process on native sockets, Node sockets and TLS, whole or in
 * pieces, and checked against llhttp with the invariants of the corpus suite
 * (test/integration/router/differential-harness.ts).
 *
 *   node dist/test/fuzz/differential.js [--seconds 60] [--seed 9] [--mode assert|survey]
 *
 * assert (CI): fast-check runs the property until the time is up and fails on the first broken
 * invariant, shrunk to a minimal input (printed, with the seed and path to replay it). A refusal
 * (with an answer) of what llhttp accepts is safe and does not fail it; the survey lists those.
 * survey (the long run in docs/router.md): runs for the time given, keeps going past findings,
 * and prints every distinct finding (by its kind of violation) with its shortest input.
 * Every finding becomes a case of test/integration/router/differential-corpus.ts.
 */
import fc from 'fast-check';
import { DifferentialRig, type Outcome, type Split, type Transport } from '../integration/router/differential-harness';

const SHOP = 'Host: shop.test\r\n';
const ANSWERS_REQUEST = 'GET /case HTTP/1.1\r\nHost: answers.test\r\n\r\n';

/** Valid messages the mutations start from. */
const REQUEST_SEEDS: readonly string[] = [
  `GET /a?b=c HTTP/1.1\r\n${SHOP}Accept: */*\r\n\r\n`,
  `POST /form HTTP/1.1\r\n${SHOP}Content-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello`,
  `POST /up HTTP/1.1\r\n${SHOP}Transfer-Encoding: chunked\r\n\r\n5;x=y\r\nhello\r\n0\r\nX-T: 1\r\n\r\n`,
  `GET /1 HTTP/1.1\r\n${SHOP}\r\nGET /2 HTTP/1.1\r\nHost: other.test\r\n\r\n`,
  `GET /old HTTP/1.0\r\n${SHOP}Connection: keep-alive\r\n\r\nGET /next HTTP/1.1\r\n${SHOP}\r\n`,
  `PUT /x HTTP/1.1\r\n${SHOP}Expect: 100-continue\r\nContent-Length: 3\r\n\r\nabc`,
];
const RESPONSE_SEEDS: readonly string[] = [
  'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello',
  'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;a=b\r\nhello\r\n6\r\n world\r\n0\r\n\r\n',
  'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-Sum\r\n\r\n5\r\nhello\r\n0\r\nX-Sum: 1\r\n\r\n',
  'HTTP/1.1 404 Not Found\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\nContent-Length: 0\r\n\r\n',
  'HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok',
];
/** What parsers disagree on. */
const TOKENS: readonly string[] = [
  '\r', '\n', '\r\n', '\r\n\r\n', '\x00', ' ', '\t', '\x0b', '\x0c', '\x7f', '\x80', '\xff', ':', ';', ',', '"', '=', '/', '0', '1', 'f', 'F', '-', '+',
  'chunked', 'Chunked', 'gzip, ', 'identity', 'HTTP/1.0', 'HTTP/1.1', 'get', 'CONNECT', 'http://other.test',
  'Transfer-Encoding: chunked\r\n', 'Content-Length: 3\r\n', 'Content-Length: 0\r\n', 'Connection: close\r\n', 'Connection: Upgrade\r\nUpgrade: h2c\r\n',
  'Host: other.test\r\n', 'Expect: 100-continue\r\n', ' folded\r\n', '0\r\n\r\n', 'ffffffffffffffff', ';ext="q"',
  'GET /smuggled HTTP/1.1\r\nHost: shop.test\r\n\r\n', 'HTTP/1.1 302 Found\r\nLocation: /evil\r\nContent-Length: 0\r\n\r\n',
];

type Mutation =
  | { kind: 'insert'; at: number; token: string }
  | { kind: 'replace'; at: number; token: string }
  | { kind: 'delete'; at: number; length: number }
  | { kind: 'duplicate-line'; at: number }
  | { kind: 'lf-only'; at: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), token: fc.constantFrom(...TOKENS) }),
  fc.record({ kind: fc.constant('replace' as const), at: fc.nat(), token: fc.constantFrom(...TOKENS) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 4 }) }),
  fc.record({ kind: fc.constant('duplicate-line' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('lf-only' as const), at: fc.nat() }),
);

function mutate(base: string, mutations: readonly Mutation[]): string {
  let text = base;
  for (const each of mutations) {
    if (text.length === 0) break;
    const at = each.at % text.length;
    switch (each.kind) {
      case 'insert':
        text = text.slice(0, at) + each.token + text.slice(at);
        break;
      case 'replace':
        text = text.slice(0, at) + each.token + text.slice(at + 1);
        break;
      case 'delete':
        text = text.slice(0, at) + text.slice(at + each.length);
        break;
      case 'duplicate-line': {
        const start = text.lastIndexOf('\n', at) + 1;
        const end = text.indexOf('\n', at);
        if (end === -1) break;
        text = text.slice(0, end + 1) + text.slice(start, end + 1) + text.slice(end + 1);
        break;
      }
      case 'lf-only': {
        const crlfs = [...text.matchAll(/\r\n/g)].map((match) => match.index ?? 0);
        if (crlfs.length === 0) break;
        const where = crlfs[at % crlfs.length] as number;
        text = text.slice(0, where) + text.slice(where + 1);
        break;
      }
    }
  }
  return text;
}

interface Input {
  readonly direction: 'request' | 'response';
  readonly bytes: string;
  readonly transport: Transport;
  readonly split: Split;
}

const input: fc.Arbitrary<Input> = fc
  .record({
    direction: fc.constantFrom('request' as const, 'response' as const),
    requestSeed: fc.constantFrom(...REQUEST_SEEDS),
    responseSeed: fc.constantFrom(...RESPONSE_SEEDS),
    mutations: fc.array(mutation, { minLength: 1, maxLength: 4 }),
    transport: fc.constantFrom<Transport>('native', 'node', 'tls'),
    split: fc.constantFrom<Split>('whole', 'pieces'),
  })
  .map(({ direction, requestSeed, responseSeed, mutations, transport, split }) => ({
    direction,
    bytes: mutate(direction === 'request' ? requestSeed : responseSeed, mutations),
    transport,
    split,
  }));

function run(rigs: Record<'native' | 'node', DifferentialRig>, each: Input): Promise<Outcome> {
  const rig = rigs[each.transport === 'node' ? 'node' : 'native'];
  return each.direction === 'request'
    ? rig.request(each.transport, { bytes: each.bytes }, each.split)
    : rig.response(each.transport, { request: ANSWERS_REQUEST, segments: [{ bytes: each.bytes }], close: true }, each.split);
}

/** A violation with its particulars (bytes, offsets, meanings) left out: its kind. */
function kindOf(violation: string): string {
  return violation
    .replace(/\{.*\}/g, '{…}')
    .replace(/ at byte \d+/g, '')
    .replace(/\d+/g, 'N');
}

function argument(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at === -1 ? fallback : (process.argv[at + 1] ?? fallback);
}

async function main(): Promise<void> {
  const seconds = Number(argument('seconds', '60'));
  const seed = Number(argument('seed', '9'));
  const mode = argument('mode', 'assert');
  // A router that answers nothing within this long is a finding anyway; a short deadline keeps
  // such inputs from eating the run.
  const deadlineMs = Number(argument('deadline-ms', '1000'));
  const rigs = { native: await DifferentialRig.start('native', deadlineMs), node: await DifferentialRig.start('node', deadlineMs) };
  let executions = 0;
  const started = Date.now();
  try {
    if (mode === 'survey') {
      const findings = new Map<string, { count: number; shortest: Input; violation: string }>();
      for (let batch = 0; Date.now() - started < seconds * 1000; batch += 1) {
        for (const each of fc.sample(input, { seed: seed + batch, numRuns: 100 })) {
          if (Date.now() - started >= seconds * 1000) break;
          const outcome = await run(rigs, each);
          executions += 1;
          const all = [...outcome.violations, ...outcome.stricter.map((difference) => `stricter: ${difference}`)];
          for (const violation of all) {
            const kind = `${each.direction} ${each.transport}: ${kindOf(violation)}`;
            const known = findings.get(kind);
            if (!known) findings.set(kind, { count: 1, shortest: each, violation });
            else {
              known.count += 1;
              if (each.bytes.length < known.shortest.bytes.length) Object.assign(known, { shortest: each, violation });
            }
          }
        }
      }
      const elapsed = (Date.now() - started) / 1000;
      console.log(`survey: ${executions} executions in ${elapsed.toFixed(0)} s (${(executions / elapsed).toFixed(1)}/s), seed ${seed}, ${findings.size} distinct findings`);
      for (const [kind, { count, shortest }] of [...findings].sort((a, b) => b[1].count - a[1].count)) {
        console.log(`\n[${count}×] ${kind}\n  shortest: ${JSON.stringify(shortest)}`);
      }
      return;
    }
    const property = fc.asyncProperty(input, async (each) => {
      executions += 1;
      const outcome = await run(rigs, each);
      if (outcome.violations.length > 0) throw new Error(`${outcome.violations.join('\n')}\n--\n${outcome.account}`);
    });
    await fc.assert(property, { seed, numRuns: Number.MAX_SAFE_INTEGER, interruptAfterTimeLimit: seconds * 1000, markInterruptAsFailure: false });
    console.log(`fuzz: ${executions} executions in ${((Date.now() - started) / 1000).toFixed(0)} s, seed ${seed}: every invariant held`);
  } finally {
    await rigs.native.close();
    await rigs.node.close();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    // fast-check's report (seed, path, shrunk counterexample), then what the counterexample broke.
    console.error(error instanceof Error ? error.message : error);
    if (error instanceof Error && error.cause instanceof Error) console.error(`\n${error.cause.message}`);
    process.exit(1);
  },
);
