/**
 * Operations on the secrets key (docs/security.md), for `scripts/secrets`:
 * - init: makes the key file if there is none (scripts/install runs it);
 * - rotate: a new key; every sealed value in the database and every certificate value in etcd
 *   re-sealed with it; then the new key replaces the old one. Crash-safe: the new key is written
 *   first as `<key file>.next`, which every reader also holds, and a rotation run again resumes it.
 *   The platform must be stopped (it holds the old key in memory); routers may keep running (they
 *   read the key file again when a value names a key they lack).
 */
import fs from 'node:fs';
import { Etcd3 } from 'etcd3';
import type { Config } from '../lib/config';
import { SlipwayError } from '../lib/errors';
import { generateSecretKey, SecretBox } from '../lib/secret-box';
import { nextKeyFile, readKeyFile, readSecretBox, requireSecretBox, writeKeyFile } from '../lib/secrets-key-file';
import { secureStateDir } from '../lib/state-dir';
import { EtcdPublisher } from '../engine/publisher';
import { openDatabase } from '../engine/store/database';
import { resealAll } from '../engine/store/secret-columns';

export interface RotationReport {
  readonly from: string;
  readonly to: string;
  readonly databaseValues: number;
  readonly etcdValues: number;
}

/** Makes the key file when missing; answers its key id and whether it was made now. */
export function initSecretsKey(keyFile: string): { keyId: string; created: boolean } {
  const existing = readSecretBox(keyFile);
  if (existing !== null) return { keyId: existing.current.id, created: false };
  const key = generateSecretKey();
  writeKeyFile(keyFile, key);
  return { keyId: key.id, created: true };
}

export async function rotateSecretsKey(config: Config, etcdClient?: Etcd3): Promise<RotationReport> {
  secureStateDir(config.stateDir);
  const old = requireSecretBox(config.secretsKeyFile);
  const nextFile = nextKeyFile(config.secretsKeyFile);
  // Resume a rotation cut short with the key it had chosen: values may be sealed with it already.
  let next = readKeyFile(nextFile);
  if (next === null || next.id === old.current.id) {
    next = generateSecretKey();
    if (fs.existsSync(nextFile)) fs.rmSync(nextFile);
    writeKeyFile(nextFile, next);
  }
  const from = new SecretBox(old.current, [next], config.secretsKeyFile);
  const to = new SecretBox(next, [old.current], nextFile);
  const db = await openDatabase(config.databaseUrl, from);
  const etcd = etcdClient ?? new Etcd3({ hosts: [...config.etcdUrls] });
  try {
    const databaseValues = await resealAll(db, from, to);
    const etcdValues = await new EtcdPublisher(etcd, config.etcdPrefix, to).resealCerts(from);
    // Everything is sealed with the new key: it becomes the key file (rename: atomic).
    fs.renameSync(nextFile, config.secretsKeyFile);
    return { from: old.current.id, to: next.id, databaseValues, etcdValues };
  } finally {
    await db.destroy();
    if (!etcdClient) etcd.close();
  }
}

export function describeSecretsKey(keyFile: string): string {
  const box = readSecretBox(keyFile);
  if (box === null) throw new SlipwayError('secrets_unreadable', `There is no secrets key file at ${keyFile}: run scripts/secrets init.`);
  return `${keyFile}: key ${box.current.id}${box.keyIds.length > 1 ? ` (a rotation to ${box.keyIds.slice(1).join(', ')} is unfinished: run scripts/secrets rotate)` : ''}`;
}
