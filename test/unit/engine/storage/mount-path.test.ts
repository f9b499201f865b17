import { expect } from 'chai';
import { formatSizeMb, parseVolumeSize, pathsOverlap, validateMountPath, validateProcessType } from '../../../../engine/storage/mount-path';
import { SlipwayError } from '../../../../lib/errors';

function refusal(run: () => unknown): SlipwayError {
  try {
    run();
  } catch (error) {
    if (error instanceof SlipwayError) return error;
    throw error;
  }
  throw new Error('accepted');
}

describe('engine/storage/mount-path', () => {
  it('accepts absolute folder paths, dropping a trailing slash', () => {
    expect(validateMountPath('/data')).to.equal('/data');
    expect(validateMountPath('/data/')).to.equal('/data');
    expect(validateMountPath('/var/lib/my-app_2/uploads.v1')).to.equal('/var/lib/my-app_2/uploads.v1');
    expect(validateMountPath('/home/app/files')).to.equal('/home/app/files');
    expect(validateMountPath('/tmp/cache')).to.equal('/tmp/cache');
    expect(validateMountPath('/application')).to.equal('/application');
  });

  it('refuses relative paths, /, .. and . parts, empty parts and odd characters, with invalid_mount_path', () => {
    for (const bad of ['data', './data', '/', '//', '/data/../etc', '/data/./x', '/..', '/data//x', '/da ta', '/data:ro', '/$HOME',
      '/data\n', '/-rf', '/.hidden', '', '   ', `/${'a'.repeat(200)}`]) {
      expect(refusal(() => validateMountPath(bad)).code, JSON.stringify(bad)).to.equal('invalid_mount_path');
    }
    expect(refusal(() => validateMountPath(42)).code).to.equal('invalid_mount_path');
    expect(refusal(() => validateMountPath(undefined)).code).to.equal('invalid_mount_path');
  });

  it('refuses system folders and the app\'s code (/app), and anything under them, saying why', () => {
    for (const bad of ['/proc', '/sys/fs', '/dev', '/etc', '/etc/ssl', '/usr', '/usr/local/bin', '/bin', '/sbin', '/lib', '/lib64',
      '/boot', '/run', '/var/run', '/app', '/app/uploads']) {
      expect(refusal(() => validateMountPath(bad)).code, bad).to.equal('invalid_mount_path');
    }
    expect(refusal(() => validateMountPath('/app/public/uploads')).message).to.include('app\'s own code');
    expect(refusal(() => validateMountPath('/etc')).message).to.include('/data');
  });

  it('quotes bad input back bounded and without control characters', () => {
    const message = refusal(() => validateMountPath(`x\u001b[31m${'y'.repeat(500)}`)).message;
    expect(message).to.not.include('\u001b');
    expect(message.length).to.be.below(400);
  });

  it('tells nested paths apart from siblings', () => {
    expect(pathsOverlap('/data', '/data')).to.equal(true);
    expect(pathsOverlap('/data', '/data/x')).to.equal(true);
    expect(pathsOverlap('/data/x', '/data')).to.equal(true);
    expect(pathsOverlap('/data', '/database')).to.equal(false);
    expect(pathsOverlap('/data', '/uploads')).to.equal(false);
  });

  it('takes web as the default process type and refuses names a Procfile cannot have', () => {
    expect(validateProcessType(undefined)).to.equal('web');
    expect(validateProcessType('worker')).to.equal('worker');
    for (const bad of ['Web', '1web', 'web.1', '../web', 'a'.repeat(31)]) {
      expect(refusal(() => validateProcessType(bad)).code, bad).to.equal('invalid_request');
    }
  });

  it('reads sizes in megabytes and gigabytes, and refuses the rest with invalid_volume_size', () => {
    expect(parseVolumeSize(undefined)).to.equal(null);
    expect(parseVolumeSize('512m')).to.equal(512);
    expect(parseVolumeSize('1g')).to.equal(1024);
    expect(parseVolumeSize('1.5G')).to.equal(1536);
    expect(parseVolumeSize('10gb')).to.equal(10240);
    for (const bad of ['1', '1t', '-1g', '0m', 'lots', '1e3g', '99999999g']) {
      expect(refusal(() => parseVolumeSize(bad)).code, bad).to.equal('invalid_volume_size');
    }
    expect(formatSizeMb(1024)).to.equal('1g');
    expect(formatSizeMb(1536)).to.equal('1536m');
  });
});
