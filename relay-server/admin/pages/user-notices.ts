/**
 * What the user page says after one of its forms, named in the redirect's `done=` (post/redirect/get),
 * so a reload shows the same words and posts nothing again.
 */
const DONE: Record<string, string> = {
  created: 'User created.',
  saved: 'Saved.',
  password: 'Password changed. The user was signed out everywhere.',
  revoked: 'Authenticator revoked; it has been told to forget the account.',
  gone: 'That authenticator had already been removed.',
  cleared: 'Cleared. Push sign-in works again for this user.',
  tap: 'A Temporary Access Pass was issued. It is shown only once: if it was not noted down, issue a new one.',
};

/** The notice for `done` (and `ended`, the sessions a sign-out ended), or undefined for anything else. */
export function doneNotice(done: string | undefined, ended: string | undefined): string | undefined {
  if (done === 'signed-out') {
    const count = /^\d{1,6}$/.test(ended ?? '') ? Number(ended) : 0;
    return `Signed out everywhere (${count} ${count === 1 ? 'session' : 'sessions'} ended).`;
  }
  return done !== undefined && Object.hasOwn(DONE, done) ? DONE[done] : undefined;
}
