/**
 * What a Dockerfile build tells the user beyond Docker's own output: which rule chose the
 * Dockerfile over buildpacks and how to choose buildpacks instead, and what to do when the base
 * image (FROM) is not on the Docker host. Pure text, so unit tests need no Docker.
 */

/** Printed under "Building with the Dockerfile": the rule that chose it, and the way out. */
export function builderRuleLines(app: string): string[] {
  return [
    'A Dockerfile at the root of the repository is built with Docker when the app has no buildpacks set',
    '(the rule of Dokku and Rainbond; Heroku ignores Dockerfiles). To build with buildpacks instead, set one:',
    `  slipway buildpacks:set ${app} nodejs   (or heroku/python, a git URL …; a BUILDPACK_URL config var or a .buildpacks file also work)`,
  ];
}

/** The instruction of a classic builder "Step 2/5 : FROM node:20 AS build" line, or null. */
export function parseStep(line: string): string | null {
  const match = /^Step \d+\/\d+ : (.*)$/.exec(line.trim());
  return match ? match[1] : null;
}

/** The image a FROM instruction names (flags such as --platform skipped), or null for another instruction. */
export function fromImage(instruction: string): string | null {
  const words = instruction.trim().split(/\s+/);
  if (words[0]?.toUpperCase() !== 'FROM') return null;
  return words.slice(1).find((word) => !word.startsWith('--')) ?? null;
}

/**
 * The message for a failed Dockerfile build. A failure while a FROM step runs means the base
 * image is not on the Docker host and could not be pulled (this host may reach no outside
 * registry): say how to put it there instead of Docker's network error. Other failures keep
 * Docker's message, which names the failing step.
 */
export function explainDockerfileFailure(error: string, step: string | null, registry: string): string {
  const image = step === null ? null : fromImage(step);
  if (image === null) return `docker build failed: ${error}`;
  if (/invalid reference format/i.test(error)) {
    return `The Dockerfile's FROM names "${image}", which is not a valid image name (${error.replace(/^invalid reference format:?\s*/i, '') || 'invalid reference format'}). Fix the FROM line and push again.`;
  }
  const name = image.includes('/') ? image.slice(image.lastIndexOf('/') + 1) : image;
  return [
    `The Dockerfile's base image ${image} (FROM) is not on the Docker host, and Docker could not pull it.`,
    'The image must exist on the Docker host or in Slipway\'s registry before the build. Load it on the Docker host with',
    '`docker load -i image.tar` (a `docker save` from another machine) or `docker import rootfs.tar ' + image + '`,',
    `or push it to Slipway's registry (\`docker tag ${image} ${registry}/${name}\` then \`docker push ${registry}/${name}\`) and write \`FROM ${registry}/${name}\`.`,
    'Images every Slipway host has: slipway/stack-build:latest and slipway/stack-run:latest.',
  ].join('\n');
}
