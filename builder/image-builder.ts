/** Strategies that turn a commit into a local image; the pipeline picks one by detection. */
import type { ExplicitBuildpacks } from '../engine/buildpacks';
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
  /** Aborted when the build runs out of time (SLIPWAY_BUILD_TIMEOUT); its reason is the error to report. */
  signal: AbortSignal;
  /** Buildpacks chosen explicitly; null or absent: the built-ins detect. */
  buildpacks?: ExplicitBuildpacks | null;
  /** The commit's `.slugignore`, if any. */
  slugIgnore?: string | null;
}

export interface BuiltImage {
  /** Process types the build itself declares (buildpack bin/release); a Procfile overrides them. */
  defaultProcessTypes: ProcessTypes;
  /** The buildpacks that built the image, as their bin/detect named them (none for a Dockerfile). */
  buildpacks?: string[];
  /** The image it was built on, whose size the build output tells apart from the app's. */
  baseImage?: string;
}

export interface ImageBuilder {
  readonly name: string;
  build(input: BuildInput): Promise<BuiltImage>;
}

/** CPU and memory a build container (or a Dockerfile build) may use. */
export interface BuildLimits {
  memoryMb: number;
  cpus: number;
}
