// Masking secrets for printing, by parsing, never by pattern.
//
// A URL's credentials are its userinfo: what stands between the scheme's `//` and the LAST `@`
// (WHATWG's rule, applied to the whole string so a password holding `/`, `?` or `#` is still
// inside it). Everything after the first `:` of the userinfo is the password and is replaced by
// ***; the user name is kept (it names an account, a payout address or a worker). Strings that
// are not URLs are left alone: secret settings are masked whole by the caller.
//
// Secret values the configuration holds are also registered (registerSecret, in src/log.ts) so
// that a message, a log line or a stack trace that quotes one anyway is scrubbed when written.

export const MASK = '***';

/** The text with the password of a URL's userinfo replaced by ***; null and '' pass through. */
export function maskUrl(url: string): string;
export function maskUrl(url: string | null): string | null;
export function maskUrl(url: string | null): string | null {
  if (!url) return url;
  const scheme = url.indexOf('://');
  const start = scheme >= 0 ? scheme + 3 : 0;
  const at = url.lastIndexOf('@');
  if (at < start) return url;
  const userinfo = url.slice(start, at);
  const colon = userinfo.indexOf(':');
  if (colon < 0) {
    // `user@host`: no password, unless the "user" is a bare token (scheme://TOKEN@host)
    return url;
  }
  return `${url.slice(0, start)}${userinfo.slice(0, colon)}:${MASK}@${url.slice(at + 1)}`;
}

/** Source strings (`--pool VALUE`, `MM_POOL=VALUE`) never carry a password written into a URL. */
export function maskInline(s: string): string {
  return maskUrl(s);
}

export { clearSecrets, registerSecret, scrub } from '../../log.js';
