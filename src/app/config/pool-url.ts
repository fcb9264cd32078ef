// Pool URLs: one rule, written once as POOL_URL_PATTERN. The add-on's option schema in
// config.yaml carries the same pattern (a test runs the same cases through both), so the
// Supervisor refuses exactly what the program refuses. The program then says which part is wrong.
//
// The pattern is kept to syntax that JavaScript and Python's `re` read alike.

/**
 * scheme://[user[:password]@]host:port[/] ; ports 1-65535; host letters/digits/-/_/. or [IPv6].
 * In the user and password: no space, /, ?, # (they end the userinfo for other URL parsers), and %
 * only as an escape of an ASCII character (so decoding never fails; other characters may be raw).
 */
export const POOL_URL_PATTERN =
  '^(stratum\\+(tcp|ssl|tls)|stratum|tcp|ssl|tls)://' +
  '((%[0-7][0-9A-Fa-f]|[^\\s/?#%])*@)?' +
  '([A-Za-z0-9]([A-Za-z0-9_-]*[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9_-]*[A-Za-z0-9])?)*|\\[[0-9A-Fa-f:.]+\\])' +
  ':([1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])/?$';

const POOL_URL_RE = new RegExp(POOL_URL_PATTERN);
export const POOL_SCHEMES = ['stratum+tcp', 'stratum+ssl', 'stratum+tls', 'stratum', 'tcp', 'ssl', 'tls'];
const HOST_RE = /^[A-Za-z0-9]([A-Za-z0-9_-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9_-]*[A-Za-z0-9])?)*$/;
const ENCODE_FIX = 'write it percent-encoded (/ as %2F, ? as %3F, # as %23, % as %25) or give the password as pool_password';

export interface ParsedPoolUrl {
  scheme: string;
  user?: string;
  password?: string;
  host: string;
  port: number;
}

/** Splits a pool URL by hand (the userinfo ends at the last @), without judging it. */
function split(s: string): { scheme: string | null; userinfo: string | null; hostport: string } {
  const sep = s.indexOf('://');
  const scheme = sep >= 0 ? s.slice(0, sep) : null;
  const rest = sep >= 0 ? s.slice(sep + 3) : s;
  const at = rest.lastIndexOf('@');
  return { scheme, userinfo: at >= 0 ? rest.slice(0, at) : null, hostport: at >= 0 ? rest.slice(at + 1) : rest };
}

/** Why a pool URL is refused (null: it is good). Never quotes the userinfo. */
export function poolUrlProblem(s: string): string | null {
  if (POOL_URL_RE.test(s) && decodeUserinfo(s) !== null) return null;
  const { scheme, userinfo, hostport } = split(s);
  if (scheme === null) return 'has no scheme; it must start with stratum+tcp:// or stratum+ssl://';
  if (!POOL_SCHEMES.includes(scheme)) return `has the scheme "${scheme.slice(0, 20)}", not one of ${POOL_SCHEMES.join(', ')}`;
  if (/\s/.test(s)) return 'contains a space';
  if (userinfo !== null) {
    if (/[/?#]/.test(userinfo)) return `its user or password holds /, ? or #; ${ENCODE_FIX}`;
    if (/%(?![0-7][0-9A-Fa-f])/.test(userinfo) || decodeUserinfo(s) === null)
      return `its user or password holds a % that is not a %XX escape of an ASCII character; ${ENCODE_FIX}`;
  }
  const slash = hostport.search(/[/?#]/);
  const hp = slash >= 0 ? hostport.slice(0, slash) : hostport;
  if (slash >= 0 && hostport.slice(slash) !== '/') return 'must not have a path or query (a Stratum URL is scheme://host:port)';
  let host: string;
  let port: string | null;
  if (hp.startsWith('[')) {
    const close = hp.indexOf(']');
    if (close < 0) return 'has an IPv6 address without its closing ]';
    host = hp.slice(0, close + 1);
    const after = hp.slice(close + 1);
    if (after !== '' && !after.startsWith(':')) return 'has text after the IPv6 address; write [address]:port';
    port = after.startsWith(':') ? after.slice(1) : null;
    if (!/^\[[0-9A-Fa-f:.]+\]$/.test(host)) return 'has an IPv6 address with characters other than hex digits, : and .';
  } else {
    const colon = hp.lastIndexOf(':');
    host = colon >= 0 ? hp.slice(0, colon) : hp;
    port = colon >= 0 ? hp.slice(colon + 1) : null;
    if (host === '') return 'has no host name';
    if (!HOST_RE.test(host)) return 'has a host name with characters other than letters, digits, - and . (write an IPv6 address in [ ])';
  }
  if (port === null || port === '') return 'needs a port, e.g. :3333';
  if (!/^[0-9]+$/.test(port)) return 'has a port that is not a number';
  const n = Number(port);
  if (n < 1 || n > 65535 || port.startsWith('0')) return `has the port ${port.slice(0, 12)}, outside 1-65535`;
  return 'is not a Stratum URL like stratum+tcp://pool.example.com:3333';
}

function decodeUserinfo(s: string): { user?: string; password?: string } | null {
  const { userinfo } = split(s);
  if (userinfo === null) return {};
  const colon = userinfo.indexOf(':');
  try {
    const user = decodeURIComponent(colon >= 0 ? userinfo.slice(0, colon) : userinfo);
    const password = colon >= 0 ? decodeURIComponent(userinfo.slice(colon + 1)) : undefined;
    return { user: user || undefined, password: password || undefined };
  } catch {
    return null;
  }
}

/** The parts of a pool URL that passed poolUrlProblem (throws otherwise). */
export function parsePoolUrlParts(s: string): ParsedPoolUrl {
  const problem = poolUrlProblem(s);
  if (problem) throw new Error(`pool URL ${problem}`);
  const { scheme, hostport } = split(s);
  const hp = hostport.endsWith('/') ? hostport.slice(0, -1) : hostport;
  const colon = hp.lastIndexOf(':');
  const cred = decodeUserinfo(s)!;
  return { scheme: scheme!, host: hp.slice(0, colon).replace(/^\[|\]$/g, ''), port: Number(hp.slice(colon + 1)), ...cred };
}
