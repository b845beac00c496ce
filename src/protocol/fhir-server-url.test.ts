import { describe, expect, it } from 'vitest';
import { parseTrustedClients } from '../auth/clients.ts';
import { addressKind, fhirServerPolicy, fhirServerUrlProblem, isUnderBase, parseFhirServerUrl } from './fhir-server-url.ts';

describe('fhirServerUrlProblem', () => {
  it('accepts plain http(s) bases, with or without a trailing slash', () => {
    for (const ok of ['https://fhir.example.org/r4', 'https://fhir.example.org/r4/', 'http://127.0.0.1:8080', 'https://h/a/b.c/d-e']) {
      expect(fhirServerUrlProblem(ok), ok).toBeUndefined();
    }
  });
  it.each([
    ['ftp://h/fhir', 'must be an absolute http(s) URL'],
    ['/fhir', 'must be an absolute http(s) URL'],
    ['https://h/ok?', 'must not have a query (a FHIR base URL has none)'],
    ['https://h/ok?a=1', 'must not have a query (a FHIR base URL has none)'],
    ['https://h/ok#', 'must not have a fragment'],
    ['https://u:p@h/ok', 'must not carry a user name or password'],
    ['https://@h/ok', 'must not carry a user name or password'],
    ['https://h/ok/..', "must not contain '.' or '..' path segments"],
    ['https://h/ok/./r4', "must not contain '.' or '..' path segments"],
    ['https://h/ok/%2E%2e/x', "must not contain '.' or '..' path segments"],
    ['https://h/ok\\..\\x', "must not contain '.' or '..' path segments"],
    ['https://h/ok%2f..%2fx', 'must not contain encoded slashes or dots'],
  ])('%s: %s', (value, message) => {
    expect(fhirServerUrlProblem(value)).toBe(message);
  });
});

describe('parseFhirServerUrl', () => {
  it('one form for comparing and for building requests', () => {
    const a = parseFhirServerUrl('HTTPS://FHIR.example.org:443/r4/');
    expect(a.key).toBe('https://fhir.example.org/r4');
    expect(a.base.href).toBe('https://fhir.example.org/r4/');
    expect(parseFhirServerUrl('https://fhir.example.org/r4').key).toBe(a.key);
    expect(new URL('Patient/1', a.base).href).toBe('https://fhir.example.org/r4/Patient/1');
  });
  it('isUnderBase: the base itself and below, never a sibling path or another origin', () => {
    const s = parseFhirServerUrl('https://h/fhir');
    expect(isUnderBase(new URL('https://h/fhir/Patient/1'), s)).toBe(true);
    expect(isUnderBase(new URL('https://h/fhir?_getpages=x'), s)).toBe(true);
    expect(isUnderBase(new URL('https://h/fhirother/Patient'), s)).toBe(false);
    expect(isUnderBase(new URL('https://h/Patient/1'), s)).toBe(false);
    expect(isUnderBase(new URL('http://h/fhir/Patient/1'), s)).toBe(false);
  });
});

describe('addressKind, with hosts as the WHATWG URL parser reads them', () => {
  it.each([
    ['http://169.254.169.254/', 'forbidden'],
    ['http://2852039166/', 'forbidden'],
    ['http://0xA9FEA9FE/', 'forbidden'],
    ['http://169.254.1/', 'forbidden'],
    ['http://[fe80::1]/', 'forbidden'],
    ['http://[febf::1]/', 'forbidden'],
    ['http://[::ffff:169.254.169.254]/', 'forbidden'],
    ['http://[fd00:ec2::254]/', 'forbidden'],
    ['http://metadata.google.internal./', 'forbidden'],
    ['http://0.0.0.0/', 'forbidden'],
    ['http://[::]/', 'forbidden'],
    ['http://224.0.0.1/', 'forbidden'],
    ['http://127.0.0.1/', 'private'],
    ['http://2130706433/', 'private'],
    ['http://0x7f000001/', 'private'],
    ['http://127.1/', 'private'],
    ['http://017700000001/', 'private'],
    ['http://[::1]/', 'private'],
    ['http://[::ffff:7f00:1]/', 'private'],
    ['http://localhost/', 'private'],
    ['http://api.localhost/', 'private'],
    ['http://10.1.2.3/', 'private'],
    ['http://172.31.255.255/', 'private'],
    ['http://192.168.0.1/', 'private'],
    ['http://100.64.0.1/', 'private'],
    ['http://[fd12:3456::1]/', 'private'],
    ['http://172.32.0.1/', 'public'],
    ['http://8.8.8.8/', 'public'],
    ['http://[2001:db8::1]/', 'public'],
    ['https://fhir.example.org/', 'public'],
  ])('%s is %s', (url, kind) => {
    expect(addressKind(new URL(url))).toBe(kind);
  });
});

describe('fhirServerPolicy', () => {
  it('with an allowlist: exactly its entries, in any spelling of the same URL', () => {
    const may = fhirServerPolicy(['https://h/fhir/'], false);
    expect(may('https://H:443/fhir')).toBe(true);
    expect(may('https://h/fhir?')).toBe(false);
    expect(may('https://h/other')).toBe(false);
  });
  it('open mode: public yes, private only when allowed, forbidden never', () => {
    expect(fhirServerPolicy(undefined, false)('https://fhir.example.org/r4')).toBe(true);
    expect(fhirServerPolicy(undefined, false)('http://127.1/')).toBe(false);
    expect(fhirServerPolicy(undefined, true)('http://127.1/')).toBe(true);
    expect(fhirServerPolicy(undefined, true)('http://169.254.169.254/')).toBe(false);
  });
});

describe('configuration', () => {
  it('a trusted client may not list a metadata address or a base with a query', () => {
    const client = (fhirServers: string[]) => [{ iss: 'https://a.org', jwksUrl: 'https://a.org/k', fhirServers }];
    expect(() => parseTrustedClients(client(['http://169.254.169.254/']), 'X')).toThrow('X: [0].fhirServers[0]: must not be a link-local or cloud metadata address');
    expect(() => parseTrustedClients(client(['https://h/fhir?x=1']), 'X')).toThrow('X: [0].fhirServers[0]: must not have a query');
    expect(parseTrustedClients(client(['http://10.0.0.5/fhir']), 'X')[0]!.fhirServers).toEqual(['http://10.0.0.5/fhir']);
  });
});
