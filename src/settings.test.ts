import { describe, expect, it } from 'vitest';
import { parseTrustedClients } from './auth/clients.ts';
import { serviceConfigFromVars, SettingsError } from './settings.ts';

describe('fhirServer settings', () => {
  it('CDS_ALLOW_PRIVATE_FHIR_SERVERS: on by default outside production, off in it, checked', () => {
    expect(serviceConfigFromVars({}).allowPrivateFhirServers).toBe(true);
    expect(serviceConfigFromVars({ CDS_ALLOW_PRIVATE_FHIR_SERVERS: 'false' }).allowPrivateFhirServers).toBe(false);
    const clients = parseTrustedClients([{ iss: 'https://a.org', jwksUrl: 'https://a.org/k' }], 'X');
    const production = { NODE_ENV: 'production', CDS_PUBLIC_URL: 'https://cds.example.org' };
    expect(serviceConfigFromVars(production, clients).allowPrivateFhirServers).toBe(false);
    expect(serviceConfigFromVars({ ...production, CDS_ALLOW_PRIVATE_FHIR_SERVERS: 'TRUE' }, clients).allowPrivateFhirServers).toBe(true);
    expect(() => serviceConfigFromVars({ CDS_ALLOW_PRIVATE_FHIR_SERVERS: 'yes' })).toThrow(
      new SettingsError('CDS_ALLOW_PRIVATE_FHIR_SERVERS="yes": expected one of true, false'),
    );
  });
});

describe('feedback settings', () => {
  it('CDS_FEEDBACK_MAX_ITEMS and CDS_FEEDBACK_MAX_TEXT: defaults 100 and 4000, checked', () => {
    expect(serviceConfigFromVars({})).toMatchObject({ feedbackMaxItems: 100, feedbackMaxText: 4000 });
    expect(serviceConfigFromVars({ CDS_FEEDBACK_MAX_ITEMS: '5', CDS_FEEDBACK_MAX_TEXT: '50' })).toMatchObject({ feedbackMaxItems: 5, feedbackMaxText: 50 });
    expect(() => serviceConfigFromVars({ CDS_FEEDBACK_MAX_ITEMS: '0' })).toThrow('CDS_FEEDBACK_MAX_ITEMS="0": expected a whole number from 1 to 10000');
    expect(() => serviceConfigFromVars({ CDS_FEEDBACK_MAX_TEXT: 'lots' })).toThrow('CDS_FEEDBACK_MAX_TEXT="lots": expected a whole number from 1 to 1000000');
  });
});

describe('CDS_CORS_ORIGINS', () => {
  it('takes a comma-separated list of origins, or *', () => {
    expect(serviceConfigFromVars({}).corsOrigins).toEqual(['*']);
    expect(serviceConfigFromVars({ CDS_CORS_ORIGINS: '*' }).corsOrigins).toEqual(['*']);
    expect(serviceConfigFromVars({ CDS_CORS_ORIGINS: 'https://sandbox.cds-hooks.org, http://localhost:8080' }).corsOrigins).toEqual([
      'https://sandbox.cds-hooks.org',
      'http://localhost:8080',
    ]);
  });

  it.each([
    ['not-an-origin'],
    ['sandbox.cds-hooks.org'],
    ['https://sandbox.cds-hooks.org/'],
    ['https://sandbox.cds-hooks.org/path'],
    ['ftp://files.example.org'],
    ['https://a.example.org,,nope'],
  ])('refuses %j naming the variable', (value) => {
    expect(() => serviceConfigFromVars({ CDS_CORS_ORIGINS: value })).toThrow(
      /^CDS_CORS_ORIGINS=".*": '.*' is not an origin; expected \* or comma-separated origins such as https:\/\/sandbox\.cds-hooks\.org \(scheme, host and port, no path\)$/,
    );
  });
});
