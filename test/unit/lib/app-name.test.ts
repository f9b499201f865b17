import { expect } from 'chai';
import { appNameProblem, assertAppName } from '../../../lib/app-name';
import { SlipwayError } from '../../../lib/errors';

function rejection(name: string): SlipwayError {
  try {
    assertAppName(name);
  } catch (error) {
    expect(error).to.be.instanceOf(SlipwayError);
    return error as SlipwayError;
  }
  throw new Error(`expected "${name}" to be refused`);
}

describe('lib/app-name', () => {
  it('accepts Heroku-style names: a lowercase letter first, then lowercase letters, digits and dashes', () => {
    for (const name of ['a', 'shop', 'my-app', 'api2', 'a-1-b-2', 'x'.repeat(30)]) {
      expect(appNameProblem(name), name).to.equal(null);
      expect(() => assertAppName(name), name).not.to.throw();
    }
  });

  it('refuses names that do not start with a lowercase letter', () => {
    for (const name of ['1app', '-app', 'App', 'Shop']) {
      expect(appNameProblem(name), name).to.equal('it must start with a lowercase letter');
    }
  });

  it('refuses uppercase letters, underscores, dots, spaces and slashes after the first letter', () => {
    for (const name of ['myApp', 'my_app', 'my.app', 'my app', 'my/app', 'café']) {
      expect(appNameProblem(name), name).to.equal('only lowercase letters, digits and dashes are allowed');
    }
  });

  it('refuses a name ending with a dash: it is the first label of the app\'s host, and a DNS label cannot end with one', () => {
    for (const name of ['ht-', 'a-', 'my-app-']) {
      expect(appNameProblem(name), name).to.equal('it must not end with a dash (it is part of the app\'s host name)');
      expect(() => assertAppName(name), name).to.throw(SlipwayError);
    }
  });

  it('refuses the empty name and names longer than 30 characters, saying how long they are', () => {
    expect(appNameProblem('')).to.equal('the name is empty');
    expect(appNameProblem('a'.repeat(31))).to.equal('it is 31 characters long (30 at most)');
  });

  it('throws invalid_app_name (HTTP 422) with a message naming the input, the problem and the rule to follow', () => {
    const error = rejection('My_App');
    expect(error.code).to.equal('invalid_app_name');
    expect(error.status).to.equal(422);
    expect(error.message).to.include('"My_App" is not a valid app name');
    expect(error.message).to.include('it must start with a lowercase letter');
    expect(error.message).to.include('Use a lowercase letter first, then lowercase letters, digits and dashes (at most 30)');
  });
});
