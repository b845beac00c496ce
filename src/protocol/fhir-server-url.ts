/**
 * The one parsed form of a FHIR server base URL (a request's `fhirServer`, a trusted client's
 * `fhirServers`): the same value is compared against the allowlist and used to build every
 * request URL, so what was checked is what is called (issue 13: `http://h/ok?` passed an
 * allowlist of `http://h/ok` and the requests went to `http://h/Patient/...`).
 *
 * The host is read as the WHATWG URL parser reads it (`new URL()`, what `fetch` uses), so
 * `2130706433`, `0x7f000001` and `127.1` are all 127.0.0.1 by the time they are classified.
 */

export interface FhirServerUrl {
  /** The base with exactly one trailing slash: relative queries resolve under it. */
  base: URL;
  /** The comparison form: origin and path, without a trailing slash. */
  key: string;
}

/**
 * Why `value` cannot be a FHIR server base, or undefined when it can. A base is an absolute
 * http(s) URL with no userinfo, query, fragment, dot segment or encoded slash or dot: each of
 * those either changes where relative requests go or lets two spellings of one URL differ.
 */
export function fhirServerUrlProblem(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'must be an absolute http(s) URL';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'must be an absolute http(s) URL';
  // The raw text is checked too: the parser drops an empty `?`, `#` or `@` without a trace.
  const { authority, path } = rawParts(value);
  if (authority.includes('@')) return 'must not carry a user name or password';
  if (value.includes('?')) return 'must not have a query (a FHIR base URL has none)';
  if (value.includes('#')) return 'must not have a fragment';
  const segments = path.split(/[/\\]/);
  if (segments.some((s) => /^(\.|%2e){1,2}$/i.test(s))) return "must not contain '.' or '..' path segments";
  if (/%(2f|5c|2e)/i.test(path)) return 'must not contain encoded slashes or dots';
  return undefined;
}

/**
 * Parses a FHIR server base URL.
 * @throws TypeError with `fhirServerUrlProblem`'s message when it is not one.
 */
export function parseFhirServerUrl(value: string): FhirServerUrl {
  const problem = fhirServerUrlProblem(value);
  if (problem) throw new TypeError(problem);
  const url = new URL(value);
  const path = url.pathname.replace(/\/+$/, '');
  return { base: new URL(`${url.origin}${path}/`), key: `${url.origin}${path}` };
}

/** Whether `url` is the base itself or below it (same origin, path under the base path). */
export function isUnderBase(url: URL, server: FhirServerUrl): boolean {
  if (url.origin !== server.base.origin) return false;
  const basePath = server.base.pathname;
  return url.pathname === basePath.slice(0, -1) || url.pathname.startsWith(basePath);
}

/**
 * What kind of address a URL's host is:
 * - `forbidden`: never a FHIR server: link-local (169.254.0.0/16, fe80::/10, where cloud
 *   metadata lives), cloud metadata names and addresses, "this network" (0.0.0.0/8, ::),
 *   multicast and reserved ranges;
 * - `private`: loopback, RFC 1918, carrier-grade NAT (100.64.0.0/10), unique local (fc00::/7),
 *   `localhost` names;
 * - `public`: anything else, including DNS names (which this cannot resolve: a name that
 *   resolves to a private address is not caught here; trusted clients are the defence).
 */
export function addressKind(url: URL): 'forbidden' | 'private' | 'public' {
  const host = url.hostname.toLowerCase().replace(/\.$/, '');
  if (METADATA_NAMES.has(host)) return 'forbidden';
  if (host === 'localhost' || host.endsWith('.localhost')) return 'private';
  if (host.startsWith('[')) return ipv6Kind(host.slice(1, -1));
  const v4 = ipv4(host);
  return v4 === undefined ? 'public' : ipv4Kind(v4);
}

/** Names that answer with instance credentials on the major clouds. */
const METADATA_NAMES = new Set(['metadata.google.internal', 'metadata', 'metadata.azure.com', 'instance-data', 'instance-data.ec2.internal']);

/** [first address, prefix length, kind] of IPv4 ranges that are not public. */
const IPV4_RANGES: [string, number, 'forbidden' | 'private'][] = [
  ['0.0.0.0', 8, 'forbidden'],
  ['169.254.0.0', 16, 'forbidden'],
  ['100.100.100.200', 32, 'forbidden'], // Alibaba Cloud metadata, inside CGNAT space
  ['224.0.0.0', 4, 'forbidden'],
  ['240.0.0.0', 4, 'forbidden'],
  ['127.0.0.0', 8, 'private'],
  ['10.0.0.0', 8, 'private'],
  ['172.16.0.0', 12, 'private'],
  ['192.168.0.0', 16, 'private'],
  ['100.64.0.0', 10, 'private'],
];

function ipv4Kind(address: number): 'forbidden' | 'private' | 'public' {
  for (const [first, bits, kind] of IPV4_RANGES) {
    const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
    if (((address & mask) >>> 0) === ((ipv4(first)! & mask) >>> 0)) return kind;
  }
  return 'public';
}

/** A dotted-decimal IPv4 address (the parser has already normalised every other form) as a number. */
function ipv4(host: string): number | undefined {
  const parts = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  if (!parts) return undefined;
  const bytes = parts.slice(1).map(Number);
  if (bytes.some((b) => b > 255)) return undefined;
  return ((bytes[0]! << 24) | (bytes[1]! << 16) | (bytes[2]! << 8) | bytes[3]!) >>> 0;
}

function ipv6Kind(host: string): 'forbidden' | 'private' | 'public' {
  const words = ipv6Words(host);
  if (!words) return 'forbidden';
  const [w0, , , , , w5, w6, w7] = words as [number, number, number, number, number, number, number, number];
  const zeroUpTo = (n: number) => words.slice(0, n).every((w) => w === 0);
  if (zeroUpTo(8)) return 'forbidden'; // ::
  if (zeroUpTo(7) && w7 === 1) return 'private'; // ::1
  // IPv4-mapped (::ffff:a.b.c.d) and IPv4-compatible (::a.b.c.d): the IPv4 address decides.
  if (zeroUpTo(5) && (w5 === 0xffff || w5 === 0)) return ipv4Kind(((w6 << 16) | w7) >>> 0);
  if ((w0 & 0xffc0) === 0xfe80) return 'forbidden'; // fe80::/10 link-local
  if ((w0 & 0xff00) === 0xff00) return 'forbidden'; // multicast
  if (host === 'fd00:ec2::254') return 'forbidden'; // AWS metadata over IPv6
  if ((w0 & 0xfe00) === 0xfc00) return 'private'; // fc00::/7 unique local
  return 'public';
}

/** The eight 16-bit words of a normalised IPv6 address (the URL parser's output form). */
function ipv6Words(host: string): number[] | undefined {
  const [head, tail] = host.split('::') as [string, string?];
  const parse = (s: string) => (s === '' ? [] : s.split(':').map((w) => Number.parseInt(w, 16)));
  const left = parse(head);
  const right = tail === undefined ? [] : parse(tail);
  const words = tail === undefined ? left : [...left, ...Array(8 - left.length - right.length).fill(0), ...right];
  return words.length === 8 && words.every((w) => Number.isInteger(w) && w >= 0 && w <= 0xffff) ? words : undefined;
}

/** The authority and path of an absolute URL's raw text (before the parser tidies it). */
function rawParts(value: string): { authority: string; path: string } {
  const afterScheme = value.trim().replace(/^[a-z][a-z0-9+.-]*:[/\\]*/i, '');
  const end = afterScheme.search(/[/\\?#]/);
  const authority = end < 0 ? afterScheme : afterScheme.slice(0, end);
  const rest = end < 0 ? '' : afterScheme.slice(end);
  return { authority, path: rest.split(/[?#]/, 1)[0]! };
}

/**
 * Which `fhirServer` values a call may reach. With an allowlist (a trusted client's
 * `fhirServers`, vetted at start-up), exactly those, compared in the parsed form. Without one
 * (open development mode), any server but a forbidden address, and private or loopback ones
 * only when `allowPrivate` (CDS_ALLOW_PRIVATE_FHIR_SERVERS).
 */
export function fhirServerPolicy(allowlist: readonly string[] | undefined, allowPrivate: boolean): (value: string) => boolean {
  if (allowlist !== undefined) {
    const allowed = new Set(allowlist.map((entry) => parseFhirServerUrl(entry).key));
    return (value) => allowed.has(parsedOrUndefined(value)?.key ?? '');
  }
  return (value) => {
    const server = parsedOrUndefined(value);
    if (!server) return false;
    const kind = addressKind(server.base);
    return kind === 'public' || (kind === 'private' && allowPrivate);
  };
}

function parsedOrUndefined(value: string): FhirServerUrl | undefined {
  return fhirServerUrlProblem(value) === undefined ? parseFhirServerUrl(value) : undefined;
}
