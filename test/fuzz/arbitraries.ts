/**
 * fast-check generators of malformed CDS Hooks traffic: valid requests with one part broken
 * (wrong type, missing, huge, deeply nested), random JSON, random text, bytes that are not
 * UTF-8, wrong content types and methods, odd paths, and garbage or near-miss JWTs.
 */
import fc from 'fast-check';
import { patientViewRequest, warfarinIbuprofenRequest } from '../support/requests.ts';

export const SERVICES = ['drug-interactions', 'renal-dosing', 'allergy-check', 'preventive-care'];

const feedbackBody = () => ({
  feedback: [
    { card: crypto.randomUUID(), outcome: 'accepted', acceptedSuggestions: [{ id: crypto.randomUUID() }], outcomeTimestamp: '2026-11-26T10:00:00Z' },
    { card: crypto.randomUUID(), outcome: 'overridden', overrideReason: { reason: { code: 'x', system: 'urn:x' }, userComment: 'c' }, outcomeTimestamp: '2026-11-26T10:00:00Z' },
  ],
});

type Json = unknown;

/** Every path (list of keys) inside a JSON value, the root included. */
function paths(value: Json, prefix: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  out.push(prefix);
  if (Array.isArray(value)) value.forEach((v, i) => paths(v, [...prefix, i], out));
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) paths(v, [...prefix, k], out);
  return out;
}

function withAt(root: Json, path: (string | number)[], change: (parent: Record<string | number, unknown>, key: string | number) => void): Json {
  if (path.length === 0) {
    const box: Record<string, unknown> = { v: root };
    change(box, 'v');
    return box.v;
  }
  const copy = structuredClone(root) as Record<string | number, unknown>;
  let parent = copy;
  for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>;
  change(parent, path.at(-1)!);
  return copy;
}

/** Heavy values (huge, deep) are spliced in as text after the mutations, so generating stays cheap. */
class Raw {
  constructor(readonly text: string) {}
}
const deepText = (depth: number) => `${'{"a":['.repeat(depth)}1${']}'.repeat(depth)}`;

/** A replacement value of the wrong kind. */
const wrongValue: fc.Arbitrary<Json> = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.double(),
  fc.string(),
  fc.string({ unit: 'grapheme', maxLength: 50 }),
  fc.constantFrom('', ' ', '__proto__', 'constructor', 'Patient/', '../../etc/passwd', 'http://169.254.169.254/latest', '\u0000', '\ud800', 'urn:uuid:'),
  fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 5 }),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 5 }),
  fc.integer({ min: 1_000, max: 200_000 }).map((n) => new Raw(JSON.stringify('x'.repeat(n)))),
  fc.integer({ min: 5, max: 3_000 }).map((n) => new Raw(deepText(n))),
  fc.integer({ min: 1_000, max: 20_000 }).map((n) => new Raw(JSON.stringify(Array.from({ length: n }, (_, i) => i)))),
);

const mutated = (base: () => Json) =>
  fc
    .tuple(fc.nat(), fc.constantFrom('replace', 'delete', 'rename'), fc.array(wrongValue, { minLength: 1, maxLength: 4 }))
    .map(([pick, how, values]) => {
      let body = base();
      const raws: string[] = [];
      values.forEach((value, i) => {
        const all = paths(body);
        const path = all[(pick + i * 7) % all.length]!;
        const replacement = value instanceof Raw ? `@@raw${raws.push(value.text) - 1}@@` : value;
        body = withAt(body, path, (parent, key) => {
          if (how === 'replace' || path.length === 0) parent[key] = replacement;
          else if (how === 'delete') delete parent[key];
          else {
            parent[`${String(key)}_`] = parent[key];
            delete parent[key];
          }
        });
      });
      const json = JSON.stringify(body) ?? 'undefined';
      return json.replace(/"@@raw(\d+)@@"/g, (_, i: string) => raws[Number(i)]!);
    });

const text = (s: string) => new TextEncoder().encode(s);

/** A body: bytes, mostly broken in one way. */
export const body: fc.Arbitrary<Uint8Array> = fc.oneof(
  { weight: 6, arbitrary: mutated(() => warfarinIbuprofenRequest({ hookInstance: crypto.randomUUID() })).map(text) },
  { weight: 3, arbitrary: mutated(() => patientViewRequest({ hookInstance: crypto.randomUUID() })).map(text) },
  { weight: 3, arbitrary: mutated(feedbackBody).map(text) },
  { weight: 2, arbitrary: fc.json({ maxDepth: 4 }).map(text) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 200 }).map(text) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 300 }) },
  // Valid JSON prefix with bytes that are not UTF-8 inside a string.
  { weight: 1, arbitrary: fc.uint8Array({ minLength: 1, maxLength: 8 }).map((b) => new Uint8Array([...text('{"hook":"'), 0xc3, 0x28, 0xff, ...b, ...text('"}')])) },
  // Deep nesting as text, past any depth the parser or later code would survive.
  { weight: 1, arbitrary: fc.integer({ min: 50, max: 200_000 }).map((n) => text(`${'['.repeat(n)}${']'.repeat(n)}`)) },
  { weight: 1, arbitrary: fc.integer({ min: 50, max: 50_000 }).map((n) => text(`${'{"a":'.repeat(n)}1${'}'.repeat(n)}`)) },
  // Larger than the fuzz app's body limit.
  { weight: 1, arbitrary: fc.integer({ min: 70_000, max: 400_000 }).map((n) => text(`{"hook":"${'x'.repeat(n)}"}`)) },
  { weight: 1, arbitrary: fc.constantFrom('', ' ', 'null', '[]', '{}', '"x"', '1e999999', '{"__proto__":{"hook":"order-sign"}}', '\ufeff{}').map(text) },
);

export const contentType = fc.oneof(
  { weight: 8, arbitrary: fc.constant('application/json') },
  { weight: 1, arbitrary: fc.constantFrom(undefined, 'application/fhir+json', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/json; charset=latin1', 'application/jsonx', '*/*', '') },
  { weight: 1, arbitrary: fc.string({ maxLength: 40 }).filter((s) => /^[\x20-\x7e]*$/.test(s)) },
);

const segment = fc.oneof(fc.constantFrom(...SERVICES), fc.constantFrom('feedback', '..', '.', '%2e%2e', '%', '%zz', '%E0%A4%A', '%00', 'x'.repeat(3000)), fc.webSegment());

export const target = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...SERVICES).map((s) => `/cds-services/${s}`) },
  { weight: 3, arbitrary: fc.constantFrom(...SERVICES).map((s) => `/cds-services/${s}/feedback`) },
  { weight: 1, arbitrary: fc.constant('/cds-services') },
  { weight: 1, arbitrary: fc.array(segment, { minLength: 1, maxLength: 4 }).map((segments) => `/cds-services/${segments.join('/')}`) },
  { weight: 1, arbitrary: fc.webPath().map((p) => (p.startsWith('/') ? p : `/${p}`)) },
);

export const method = fc.oneof({ weight: 10, arbitrary: fc.constant('POST') }, { weight: 1, arbitrary: fc.constantFrom('GET', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD') });

const b64 = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

/** Authorization headers: absent, garbage, or JWT-shaped with odd headers and claims. */
export const authorization = fc.oneof(
  fc.constant(undefined),
  fc.string({ maxLength: 100 }).filter((s) => /^[\x20-\x7e]*$/.test(s)),
  fc.string({ maxLength: 100 }).filter((s) => /^[\x21-\x7e]*$/.test(s)).map((s) => `Bearer ${s}`),
  fc
    .tuple(
      fc.record({ alg: fc.oneof(fc.constantFrom('ES384', 'RS384', 'none', 'HS256', 'ES256'), wrongValue), kid: fc.oneof(fc.string(), wrongValue), jku: fc.oneof(fc.webUrl(), wrongValue), typ: fc.constant('JWT') }, { requiredKeys: ['alg'] }),
      fc.record({ iss: fc.oneof(fc.constant('https://ehr.example.org'), wrongValue), aud: wrongValue, exp: wrongValue, iat: wrongValue, jti: wrongValue }, { requiredKeys: [] }),
      fc.string({ maxLength: 100 }),
    )
    .map(([header, payload, sig]) => `Bearer ${b64(header)}.${b64(payload)}.${b64(sig)}`),
);

// --- Shapes from the second hardening round (issue 13) -------------------------------------

/** Names every plain object answers to. */
export const propertyName = fc.constantFrom('constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf', 'isPrototypeOf', 'toLocaleString', '__defineGetter__');

const UCUM = 'http://unitsofmeasure.org';
const RXNORM_SYSTEM = 'http://www.nlm.nih.gov/research/umls/rxnorm';

/**
 * An opioid order-sign call whose dose unit, timing unit or code, supply unit or medication code
 * is a property name, next to an order of exactly 90 MME/day.
 */
export const propertyNamedUnitsRequest = fc
  .record({
    doseCode: fc.oneof(propertyName, fc.constantFrom('mg', '{tab}')),
    doseUnit: fc.oneof(propertyName, fc.constantFrom('mg', 'tablet')),
    periodUnit: fc.oneof(propertyName, fc.constant('d')),
    timingCode: fc.option(propertyName),
    supplyUnit: fc.oneof(propertyName, fc.constantFrom('d', 'days')),
    medicationCode: fc.oneof(propertyName, fc.constant('1049683')),
  })
  .map((k) => {
    const order = (id: string, code: string, dose: Record<string, unknown>, timing: Record<string, unknown>, supplyUnit: string) => ({
      resourceType: 'MedicationRequest',
      id,
      status: 'draft',
      intent: 'order',
      subject: { reference: 'Patient/p1' },
      authoredOn: new Date().toISOString().slice(0, 10),
      medicationCodeableConcept: { coding: [{ system: RXNORM_SYSTEM, code, display: `drug ${id}` }] },
      dosageInstruction: [{ doseAndRate: [{ doseQuantity: dose }], timing }],
      dispenseRequest: { expectedSupplyDuration: { value: 30, unit: supplyUnit, system: UCUM, code: supplyUnit } },
    });
    return {
      hook: 'order-sign',
      hookInstance: crypto.randomUUID(),
      context: {
        userId: 'Practitioner/example',
        patientId: 'p1',
        draftOrders: {
          resourceType: 'Bundle',
          type: 'collection',
          entry: [
            { resource: order('known', '1049574', { value: 1, unit: 'tablet', system: UCUM, code: '{tab}' }, { repeat: { frequency: 2, period: 1, periodUnit: 'd' } }, 'd') },
            {
              resource: order(
                'odd',
                k.medicationCode,
                { value: 30, unit: k.doseUnit, system: UCUM, code: k.doseCode },
                { repeat: { frequency: 1, period: 1, periodUnit: k.periodUnit }, ...(k.timingCode ? { code: { coding: [{ code: k.timingCode }] } } : {}) },
                k.supplyUnit,
              ),
            },
          ],
        },
      },
    };
  });

/** Text an EHR should never send, and an attacker would: markup, links, controls, direction marks. */
export const markupText = fc
  .array(
    fc.oneof(
      fc.constantFrom('**', '__', '`', '~~', '|', '\\', '<img src=x onerror=alert(1)>', '<script>alert(1)</script>', '[Click to re-authenticate](https://evil.example/login)', '![x](https://evil.example/x.png)', '<https://evil.example>', '&lt;b&gt;', '\n# Heading\n', '\n> quote', '\n---\n', '\n1. item', '\u202e', '\u2066', '\u0000', '\u0007', '\u0085', '\r\n'),
      fc.string({ maxLength: 12 }),
    ),
    { minLength: 1, maxLength: 8 },
  )
  .map((parts) => `Ibu${parts.join('')}`);

/** Feedback near and past its bounds, with dates that may not exist. */
export const oversizedFeedback = (limits: { maxItems: number; maxText: number }) =>
  fc
    .record({
      items: fc.integer({ min: 0, max: limits.maxItems * 2 }),
      comment: fc.integer({ min: 0, max: limits.maxText * 2 }),
      cardLength: fc.constantFrom(36, 256, 257, 5000),
      date: fc.oneof(
        fc.date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }).map((d) => d.toISOString()),
        fc.tuple(fc.integer({ min: 1999, max: 2101 }), fc.integer({ min: 0, max: 13 }), fc.integer({ min: 0, max: 32 }), fc.integer({ min: 0, max: 25 })).map(
          ([y, m, d, h]) => `${y}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}T${String(h).padStart(2, '0')}:00:00Z`,
        ),
      ),
    })
    .map(({ items, comment, cardLength, date }) => ({
      feedback: Array.from({ length: items }, (_, i) => ({
        card: i === 0 ? 'c'.repeat(cardLength) : crypto.randomUUID(),
        outcome: 'overridden',
        overrideReason: { userComment: 'x'.repeat(comment) },
        outcomeTimestamp: date,
      })),
    }));

/** Hosts that are never a FHIR server, or only a local one, in the spellings parsers accept. */
const blockedHost = fc.constantFrom(
  '169.254.169.254', '2852039166', '0xa9fea9fe', '0251.0376.0251.0376', '169.254.1', '[fe80::1]', '[::ffff:169.254.169.254]', '[fd00:ec2::254]',
  'metadata.google.internal', 'METADATA.GOOGLE.INTERNAL.', '100.100.100.200', '0.0.0.0', '0',
  '127.0.0.1', '127.1', '2130706433', '0x7f000001', '0177.0.0.1', '[::1]', '[::ffff:127.0.0.1]', 'localhost', 'a.localhost', '10.0.0.1', '192.168.1.1', '172.16.0.1', '[fd12::1]',
);

/** `fhirServer` values: a blocked host or a public one, with the tricks that escape a base path. */
export const fhirServerForm = fc
  .record({
    scheme: fc.constantFrom('http://', 'https://', 'HTTP://', 'http:/', 'http:\\\\'),
    userinfo: fc.constantFrom('', '', 'user:pw@', '@', 'fhir.example.org@'),
    host: fc.oneof(blockedHost, fc.constant('fhir.example.org')),
    port: fc.constantFrom('', ':80', ':8080'),
    path: fc.constantFrom('/fhir', '/fhir/', '', '/fhir/..', '/fhir/./r4', '/fhir/%2e%2e/', '/fhir%2f..%2fx', '/fhir\\..\\x'),
    tail: fc.constantFrom('', '', '?', '#', '?_format=json', '#frag'),
  })
  .map(({ scheme, userinfo, host, port, path, tail }) => `${scheme}${userinfo}${host}${port}${path}${tail}`);
