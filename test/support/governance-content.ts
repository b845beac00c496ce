/**
 * A small patient-view service for the governance tests: one active rule, one silent, one
 * rolled out to half of the patients, each with a card that quotes nothing but the patient id.
 * `edit` rewrites files to show what replay reports after an author changes the content.
 */
import type { SourceFile } from '../../src/rules/source.ts';

const RULE = (id: string, extra: string, when = "%patient.gender = 'female'") => ({
  path: `rules/demo/${id}.yaml`,
  text: `id: ${id}
title: ${id}
references: [{ label: Test, url: "https://example.org/${id}" }]
${extra}when: "${when}"
card: ${id}
with:
  who: "%patient.id"
`,
});
const CARD = (id: string, summary = `${id} for {{who}}`) => ({
  path: `cards/${id}.yaml`,
  text: `summary: "${summary}"
indicator: info
source:
  label: Test
suggestions:
  - label: Order the screening
    actions:
      - type: create
        description: Order it
        resource:
          resourceType: ServiceRequest
          status: draft
          intent: order
          subject: { reference: "Patient/{{who}}" }
`,
});

export function governanceContent(): SourceFile[] {
  return [
    { path: 'rules/demo/service.yaml', text: 'hook: patient-view\ntitle: Demo\ndescription: Governance demo\nprefetch:\n  patient: Patient/{{context.patientId}}\n' },
    RULE('shown', 'approvedBy: Dr Lead\napprovedOn: 2026-11-02\nreview: https://example.org/review/1\n'),
    RULE('quiet', 'status: silent\n'),
    RULE('half', 'rollout: 50%\n'),
    CARD('shown'),
    CARD('quiet'),
    CARD('half'),
  ];
}

/** A patient-view request for the demo service. */
export function demoRequest(patientId: string, gender: 'female' | 'male' = 'female', hookInstance: string = crypto.randomUUID()) {
  return {
    hook: 'patient-view',
    hookInstance,
    context: { userId: 'Practitioner/dr', patientId },
    prefetch: { patient: { resourceType: 'Patient', id: patientId, gender } },
  };
}
