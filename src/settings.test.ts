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
