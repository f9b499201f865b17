import { SlipwayError } from './errors';

/** Heroku's rule: a lowercase letter first, then lowercase letters, digits and dashes, ≤ 30 characters, no dash last. */
const APP_NAME = /^[a-z][a-z0-9-]{0,29}$/;

export function appNameProblem(name: string): string | null {
  if (name.length === 0) return 'the name is empty';
  if (name.length > 30) return `it is ${name.length} characters long (30 at most)`;
  if (!/^[a-z]/.test(name)) return 'it must start with a lowercase letter';
  if (!APP_NAME.test(name)) return 'only lowercase letters, digits and dashes are allowed';
  // The name is the first label of <app>.<domain>, and a DNS label ends with a letter or digit (RFC 1035).
  if (name.endsWith('-')) return "it must not end with a dash (it is part of the app's host name)";
  return null;
}

export function assertAppName(name: string): void {
  const problem = appNameProblem(name);
  if (problem) {
    throw new SlipwayError(
      'invalid_app_name',
      `"${name}" is not a valid app name: ${problem}. Use a lowercase letter first, then lowercase letters, digits and dashes (at most 30), not ending with a dash.`,
    );
  }
}
