/**
 * suggestion.actionSelectionBehavior (CDS Hooks 3.0 ballot, STU) reaches only a CDS client
 * configured as supporting it: "CDS Services SHALL NOT make use of the actionSelectionBehavior
 * feature without knowing that the requesting client supports it". Every other client gets the
 * 2.0 card it gets today.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trustedClientsSchema } from '../../src/auth/clients.ts';
import { compileInline, post, type TestApp, testApp } from '../support/app.ts';
import { jwks, type SigningKey, signingKey, signToken } from '../support/jwt.ts';

const PUBLIC = 'https://cds.example.org';
const MODERN = 'https://modern-ehr.example.org';
const CLASSIC = 'https://classic-ehr.example.org';

let key: SigningKey;
let t: TestApp;
beforeAll(async () => {
  key = await signingKey('ES384', 'k1');
  t = await testApp({
    config: {
      publicUrl: PUBLIC,
      trustedClients: trustedClientsSchema.parse([
        { iss: MODERN, jwks: jwks(key), supports: ['actionSelectionBehavior'] },
        { iss: CLASSIC, jwks: jwks(key) },
      ]),
    },
    ruleSet: compileInline([
      { path: 'rules/choose/service.yaml', text: 'hook: patient-view\ntitle: Choose\ndescription: d\n' },
      { path: 'rules/choose/r.yaml', text: 'id: r\ntitle: r\nreferences: [{ label: T, url: "https://example.org" }]\nwhen: "true"\ncard: choose\n' },
      {
        path: 'cards/choose.yaml',
        text: [
          'summary: Pick the follow-up',
          'indicator: info',
          'source:',
          '  label: Test',
          'suggestions:',
          '  - label: Order follow-up tests',
          '    actionSelectionBehavior: any',
          '    actions:',
          '      - type: create',
          '        description: Order a basic metabolic panel',
          '        resource: { resourceType: ServiceRequest, status: draft, intent: order, subject: { reference: "Patient/{{context.patientId}}" } }',
          '      - type: create',
          '        description: Order a lipid panel',
          '        resource: { resourceType: ServiceRequest, status: draft, intent: order, subject: { reference: "Patient/{{context.patientId}}" } }',
          '',
        ].join('\n'),
      },
    ]),
  });
});
afterAll(() => t.close());

async function suggestionFor(iss: string) {
  const token = await signToken(key, { iss, aud: `${PUBLIC}/cds-services/choose` });
  const res = await post(t.app, '/cds-services/choose', { hook: 'patient-view', hookInstance: crypto.randomUUID(), context: { userId: 'Practitioner/dr', patientId: 'p1' } }, { authorization: `Bearer ${token}` });
  expect(res.status).toBe(200);
  const { cards } = (await res.json()) as { cards: { suggestions: Record<string, unknown>[] }[] };
  return cards[0]!.suggestions[0]!;
}

describe('actionSelectionBehavior only for clients that support it', () => {
  it('is sent to a client configured with supports: [actionSelectionBehavior]', async () => {
    const suggestion = await suggestionFor(MODERN);
    expect(suggestion.actionSelectionBehavior).toBe('any');
    expect(suggestion.actions).toHaveLength(2);
  });

  it('is left out for any other client, which gets the 2.0 suggestion', async () => {
    const suggestion = await suggestionFor(CLASSIC);
    expect(suggestion).not.toHaveProperty('actionSelectionBehavior');
    expect(suggestion.actions).toHaveLength(2);
  });

  it('a client listing a feature the service does not know is refused at start-up, naming it', () => {
    expect(() => trustedClientsSchema.parse([{ iss: MODERN, jwks: jwks(key), supports: ['teleportation'] }])).toThrow(/must list features among actionSelectionBehavior/);
  });
});
