/** What a user name, a team name and an email may be. User and team names follow the app name rule (they are typed on command lines and shown in tables). */
import { appNameProblem } from '../lib/app-name';
import { SlipwayError } from '../lib/errors';

export function assertUserName(name: string): void {
  const problem = appNameProblem(name);
  if (problem) {
    throw new SlipwayError('invalid_user_name',
      `"${name}" is not a valid user name: ${problem}. Use a lowercase letter first, then lowercase letters, digits and dashes (at most 30), not ending with a dash.`);
  }
}

export function assertTeamName(name: string): void {
  const problem = appNameProblem(name);
  if (problem) {
    throw new SlipwayError('invalid_team_name',
      `"${name}" is not a valid team name: ${problem}. Use a lowercase letter first, then lowercase letters, digits and dashes (at most 30), not ending with a dash.`);
  }
}

/** Deliberately loose (one @, something on each side, a dot in the domain, no spaces): the address is for people, not for sending mail. */
const EMAIL = /^[^\s@]{1,64}@[^\s@]+\.[^\s@]+$/;

export function assertEmail(email: string): void {
  if (email.length > 254 || !EMAIL.test(email)) {
    throw new SlipwayError('invalid_email', `"${email.slice(0, 100)}" is not a valid email address (name@example.com).`);
  }
}
