/** The console's sign-in session (api/session.ts, docs/console.md): no I/O, shared with web/. */
import { z } from 'zod';
import { Timestamp } from './common';

export const SignInSchema = z.object({
  name: z.string().min(1).max(200).describe('The user\'s name'),
  password: z.string().min(1).max(1024),
});
export type SignIn = z.infer<typeof SignInSchema>;

/** Who is signed in and the CSRF token every change made with the session cookie must carry. */
export const SessionSchema = z.object({
  user: z.object({ name: z.string(), platformAdmin: z.boolean().describe('May manage users, teams and nodes') }),
  csrfToken: z.string().describe('Send it in the X-CSRF-Token header of every change'),
  expiresAt: Timestamp,
});
export type Session = z.infer<typeof SessionSchema>;

/** One event of GET /events (Server-Sent Events, `event: change`): what changed, never its data. */
export const ChangeEventSchema = z.object({
  kind: z.enum(['app', 'apps']),
  app: z.string().nullable(),
  at: Timestamp,
});
export type ChangeEventData = z.infer<typeof ChangeEventSchema>;
