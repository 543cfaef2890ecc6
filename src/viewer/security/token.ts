// The per-process secret that writes (and, on an exposed host, every request) must present: drawn when the server
// starts, never stored in the database, compared in constant time.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** 32 random bytes, base64url: safe in a URL, a header and a cookie as it is. */
export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Whether `given` is the token. Hashing first makes the comparison's time independent of the lengths too. */
export function isToken(given: string | undefined, token: string): boolean {
  if (given === undefined || given === '') return false;
  const digest = (text: string) => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(given), digest(token));
}
