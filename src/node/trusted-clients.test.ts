import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { importJWK } from 'jose';
import { describe, expect, it } from 'vitest';
import { settingsFromEnv } from './env.ts';
import { loadTrustedClients } from './trusted-clients.ts';

describe('CDS_TRUSTED_CLIENTS', () => {
  it('reads the shipped example (the CDS Hooks sandbox): its key is a usable ES384 public key', async () => {
    const [sandbox] = loadTrustedClients('config/trusted-clients.example.yaml');
    expect(sandbox).toMatchObject({ iss: 'https://sandbox.cds-hooks.org', jwksUrl: 'https://sandbox.cds-hooks.org/.well-known/jwks.json' });
    const key = sandbox!.jwks!.keys[0]!;
    expect(key.kid).toBe('44823f3d-0b01-4a6c-a80e-b9d3e8a7226f');
    expect(((await importJWK(key, "ES384")) as CryptoKey).type).toBe("public");
  });

  it('takes inline JSON and JSON files', () => {
    const inline = '[{"iss":"https://ehr.example.org","jwksUrl":"https://ehr.example.org/jwks.json","fhirServers":["https://fhir.example.org/r4"]}]';
    expect(loadTrustedClients(inline)).toEqual([
      { iss: 'https://ehr.example.org', jwksUrl: 'https://ehr.example.org/jwks.json', fhirServers: ['https://fhir.example.org/r4'] },
    ]);
    const file = join(mkdtempSync(join(tmpdir(), 'clients-')), 'clients.json');
    writeFileSync(file, inline);
    expect(loadTrustedClients(file)).toHaveLength(1);
  });

  it.each([
    ['[{"iss":"https://a.org"}]', 'CDS_TRUSTED_CLIENTS: [0].jwksUrl: needs jwksUrl or jwks'],
    ['[{"iss":"https://a.org","jwksUrl":"http://a.org/jwks.json"}]', 'CDS_TRUSTED_CLIENTS: [0].jwksUrl: must be an https URL (http only on 127.0.0.1/localhost)'],
    ['[{"iss":"https://a.org","jwksUrl":"https://a.org/k","fhirServers":["ftp://x"]}]', 'CDS_TRUSTED_CLIENTS: [0].fhirServers[0]: must be an absolute http(s) URL'],
    ['[{"iss":"https://a.org","jwksUrl":"https://a.org/k","jwksurl":"x"}]', 'CDS_TRUSTED_CLIENTS: [0]: Unrecognized key: "jwksurl"'],
    ['[{"iss":"https://a.org","jwksUrl":"https://a.org/k"},{"iss":"https://a.org","jwksUrl":"https://a.org/k"}]', "CDS_TRUSTED_CLIENTS: [1].iss: 'https://a.org' is listed twice"],
    ['[{"iss": ', 'CDS_TRUSTED_CLIENTS: not valid JSON'],
    ['/nonexistent/clients.yaml', 'CDS_TRUSTED_CLIENTS (/nonexistent/clients.yaml): no such file'],
  ])('refuses %s naming the entry and field', (raw, message) => {
    expect(() => loadTrustedClients(raw)).toThrow(message);
  });
});

describe('settings for authentication', () => {
  const clients = '[{"iss":"https://ehr.example.org","jwksUrl":"https://ehr.example.org/jwks.json"}]';

  it('needs CDS_PUBLIC_URL with trusted clients, and strips its trailing slash', () => {
    expect(() => settingsFromEnv({ CDS_TRUSTED_CLIENTS: clients })).toThrow('CDS_PUBLIC_URL is required with CDS_TRUSTED_CLIENTS');
    expect(settingsFromEnv({ CDS_TRUSTED_CLIENTS: clients, CDS_PUBLIC_URL: 'https://cds.example.org/' }).service.publicUrl).toBe('https://cds.example.org');
    expect(() => settingsFromEnv({ CDS_PUBLIC_URL: 'cds.example.org' })).toThrow('CDS_PUBLIC_URL="cds.example.org": expected an absolute http(s) URL');
  });

  it('refuses to run open with NODE_ENV=production', () => {
    expect(() => settingsFromEnv({ NODE_ENV: 'production' })).toThrow('refusing to serve without authentication');
    expect(settingsFromEnv({ NODE_ENV: 'production', CDS_TRUSTED_CLIENTS: clients, CDS_PUBLIC_URL: 'https://cds.example.org' }).service.trustedClients).toHaveLength(1);
    expect(settingsFromEnv({}).service.trustedClients).toEqual([]);
  });

  it('defaults: six years of retention, a 300 ms evaluation budget, JSON depth 64', () => {
    const s = settingsFromEnv({});
    expect(s.retentionDays).toBe(2192);
    expect(s.service.evaluationBudgetMs).toBe(300);
    expect(s.service.maxJsonDepth).toBe(64);
  });
});
