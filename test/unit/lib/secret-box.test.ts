import { expect } from 'chai';
import { SlipwayError } from '../../../lib/errors';
import { generateSecretKey, isSealed, SecretBox, sealedKeyId } from '../../../lib/secret-box';
import { sealedKeyOpener } from '../../../router/tls';

function refusal(run: () => unknown): SlipwayError {
  try {
    run();
  } catch (error) {
    expect(error).to.be.instanceOf(SlipwayError);
    expect((error as SlipwayError).code).to.equal('secrets_unreadable');
    return error as SlipwayError;
  }
  throw new Error('expected a refusal');
}

describe('lib/secret-box: sealing secrets at rest', () => {
  const key = generateSecretKey();
  const box = new SecretBox(key);

  it('seals to text that names its key and hides the value, and opens it back', () => {
    const sealed = box.seal('hunter2', 'config:1');
    expect(isSealed(sealed)).to.equal(true);
    expect(sealedKeyId(sealed)).to.equal(key.id);
    expect(sealed).to.not.contain('hunter2');
    expect(box.seal('hunter2', 'config:1'), 'a new IV each time').to.not.equal(sealed);
    expect(box.open(sealed, 'config:1')).to.equal('hunter2');
  });

  it('refuses a value sealed for another context (another app or row)', () => {
    expect(refusal(() => box.open(box.seal('x', 'config:1'), 'config:2')).message).to.match(/fails authentication/);
  });

  it('refuses a value sealed with another key, naming both keys', () => {
    const other = new SecretBox(generateSecretKey(), [], '/state/secrets.key');
    const message = refusal(() => other.open(box.seal('x', 'c'), 'c')).message;
    expect(message).to.contain(key.id).and.contain(other.current.id).and.contain('/state/secrets.key');
  });

  it('refuses a changed or truncated value, and plaintext', () => {
    const sealed = box.seal('value', 'c');
    const flipped = sealed.slice(0, -2) + (sealed.endsWith('AA') ? 'BB' : 'AA');
    expect(refusal(() => box.open(flipped, 'c')).message).to.match(/fails authentication/);
    expect(refusal(() => box.open(sealed.slice(0, 40), 'c')).message).to.match(/truncated/);
    expect(refusal(() => box.open('{"A":"1"}', 'c')).message).to.match(/not sealed/);
  });

  it('opens with any key of its ring and seals with the current one', () => {
    const next = generateSecretKey();
    const ring = new SecretBox(next, [key]);
    expect(ring.open(box.seal('old', 'c'), 'c')).to.equal('old');
    expect(sealedKeyId(ring.seal('new', 'c'))).to.equal(next.id);
  });
});

describe('router/tls sealedKeyOpener: the router opens private keys with the key file', () => {
  it('reads the key file once, and again only when a value names a key it lacks (a rotation)', () => {
    const first = new SecretBox(generateSecretKey());
    const second = new SecretBox(generateSecretKey());
    let current = first;
    let reads = 0;
    const open = sealedKeyOpener('/state/secrets.key', () => {
      reads += 1;
      return current;
    });
    expect(open(first.seal('k1', 'c'), 'c')).to.equal('k1');
    expect(open(first.seal('k2', 'c'), 'c')).to.equal('k2');
    expect(reads).to.equal(1);
    current = second;
    expect(open(second.seal('k3', 'c'), 'c')).to.equal('k3');
    expect(reads).to.equal(2);
  });
});
