import { expect } from 'chai';
import { builderRuleLines, explainDockerfileFailure, fromImage, parseStep } from '../../../builder/dockerfile-messages';

describe('builder/dockerfile-messages', () => {
  it('names the rule that chose the Dockerfile and how to build with buildpacks instead', () => {
    const text = builderRuleLines('shop').join('\n');
    expect(text).to.include('A Dockerfile at the root of the repository is built with Docker when the app has no buildpacks set');
    expect(text).to.include('slipway buildpacks:set shop nodejs');
    expect(text).to.include('BUILDPACK_URL').and.include('.buildpacks');
  });

  it('reads the instruction of a classic builder step line and the image of a FROM', () => {
    expect(parseStep('Step 1/3 : FROM node:20 AS build\n')).to.equal('FROM node:20 AS build');
    expect(parseStep(' ---> Running in 1234')).to.equal(null);
    expect(fromImage('FROM node:20 AS build')).to.equal('node:20');
    expect(fromImage('from --platform=linux/amd64 debian:bookworm')).to.equal('debian:bookworm');
    expect(fromImage('RUN npm ci')).to.equal(null);
  });

  it('explains a base image that cannot be pulled, without Docker\'s network error', () => {
    const message = explainDockerfileFailure(
      'Get "https://registry.example.invalid/v2/": dial tcp: lookup registry.example.invalid: no such host',
      'FROM team/base:1', '127.0.0.1:5000');
    expect(message).to.include('base image team/base:1 (FROM) is not on the Docker host');
    expect(message).to.include('docker load -i image.tar').and.include('docker import rootfs.tar team/base:1');
    expect(message).to.include('docker push 127.0.0.1:5000/base:1').and.include('FROM 127.0.0.1:5000/base:1');
    expect(message).to.not.include('dial tcp').and.not.include('no such host');
  });

  it('says a FROM that is not an image name is one, and leaves other failures to Docker\'s message', () => {
    expect(explainDockerfileFailure('invalid reference format: repository name must be lowercase', 'FROM Bad:Name', 'r:5000'))
      .to.equal('The Dockerfile\'s FROM names "Bad:Name", which is not a valid image name (repository name must be lowercase). Fix the FROM line and push again.');
    expect(explainDockerfileFailure('The command \'/bin/sh -c false\' returned a non-zero code: 1', 'RUN false', 'r:5000'))
      .to.equal('docker build failed: The command \'/bin/sh -c false\' returned a non-zero code: 1');
    expect(explainDockerfileFailure('boom', null, 'r:5000')).to.equal('docker build failed: boom');
  });
});
