import { expect } from 'chai';
import { chooseDeployRef, parseRefLines, type RefUpdate } from '../../../builder/push-handler';

const OLD = 'a'.repeat(40);
const NEW = 'b'.repeat(40);
const ZERO = '0'.repeat(40);

function update(ref: string, newSha = NEW, oldSha = OLD): RefUpdate {
  return { oldSha, newSha, ref };
}

describe('builder/push-handler', () => {
  describe('chooseDeployRef', () => {
    it('deploys a push to main or to master', () => {
      for (const ref of ['refs/heads/main', 'refs/heads/master']) {
        expect(chooseDeployRef([update(ref)])).to.deep.equal({ ok: true, update: update(ref) });
      }
    });

    it('deploys the first push of an app (old sha all zeros)', () => {
      const first = update('refs/heads/main', NEW, ZERO);
      expect(chooseDeployRef([first])).to.deep.equal({ ok: true, update: first });
    });

    it('refuses another branch and tells how to deploy it', () => {
      const choice = chooseDeployRef([update('refs/heads/feature/login')]);
      expect(choice.ok).to.equal(false);
      if (choice.ok) return;
      expect(choice.reason).to.include('Pushed to "feature/login", but only main or master deploy.');
      expect(choice.reason).to.include('git push slipway feature/login:main');
    });

    it('refuses a push of several refs when one is not a deploy branch', () => {
      const choice = chooseDeployRef([update('refs/heads/main'), update('refs/heads/dev')]);
      expect(choice).to.deep.include({ ok: false });
      expect(!choice.ok && choice.reason).to.include('git push slipway dev:main');
    });

    it('refuses main and master pushed together', () => {
      expect(chooseDeployRef([update('refs/heads/main'), update('refs/heads/master')]))
        .to.deep.equal({ ok: false, reason: 'Push one branch at a time: main or master.' });
    });

    it('refuses to delete the deploy branch and points to apps:destroy', () => {
      const choice = chooseDeployRef([update('refs/heads/main', ZERO)]);
      expect(choice.ok).to.equal(false);
      expect(!choice.ok && choice.reason).to.include('Deleting the deploy branch is not allowed');
      expect(!choice.ok && choice.reason).to.include('slipway apps:destroy');
    });

    it('refuses an empty push', () => {
      expect(chooseDeployRef([]).ok).to.equal(false);
    });
  });

  describe('parseRefLines (pre-receive hook input)', () => {
    it('reads "<old> <new> <ref>" lines, ignoring blank lines and surrounding spaces', () => {
      const text = `${OLD} ${NEW} refs/heads/main\n\n  ${ZERO} ${NEW} refs/heads/dev  \n`;
      expect(parseRefLines(text)).to.deep.equal([update('refs/heads/main'), update('refs/heads/dev', NEW, ZERO)]);
    });

    it('gives no updates for empty input', () => {
      expect(parseRefLines('')).to.deep.equal([]);
      expect(parseRefLines('\n\n')).to.deep.equal([]);
    });
  });
});
