/** Strategies that turn a commit into a local image; the pipeline picks one by detection. */
import type { ConfigVars, ProcessTypes } from '../engine/model';
import type { GitObjectEnv } from './git';

export interface BuildInput {
  app: string;
  buildId: string;
  repoPath: string;
  commit: string;
  gitEnv: GitObjectEnv;
  config: ConfigVars;
  /** The local tag to produce, e.g. 127.0.0.1:5000/myapp:<build-id> */
  tag: string;
  /** Build output, streamed to the git client as it happens. */
  output: (text: string) => void;
}

export interface BuiltImage {
  /** Process types the build itself declares (buildpack bin/release); a Procfile overrides them. */
  defaultProcessTypes: ProcessTypes;
}

export interface ImageBuilder {
  readonly name: string;
  build(input: BuildInput): Promise<BuiltImage>;
}
