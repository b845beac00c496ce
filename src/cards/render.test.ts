import { describe, expect, it } from 'vitest';
import { placeholdersOf } from './placeholders.ts';
import { CardRenderError, readable, renderCard } from './render.ts';
import type { CardTemplate } from './schema.ts';

let n = 0;
const uuid = () => `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`;

const template: CardTemplate = {
  summary: 'Stop {{drug}}',
  detail: 'Because of {{reason}}.',
  indicator: 'warning',
  source: { label: 'Test' },
  suggestions: [
    {
      label: 'Cancel {{drug}}',
      if: 'order',
      actions: [{ type: 'delete', description: 'Remove {{drug}}', resourceId: '{{order}}' }],
    },
    {
      label: 'Order a test',
      actions: [{ type: 'create', description: 'Create', resource: { resourceType: 'ServiceRequest', subject: { reference: 'Patient/{{context.patientId}}' }, code: '{{code}}' } }],
    },
  ],
  links: [{ label: 'App', url: 'https://app.example.org/launch', type: 'smart', appContext: { patient: '{{context.patientId}}' } }],
};

describe('renderCard', () => {
  it('fills text placeholders readably and whole-value placeholders with their JSON', () => {
    const card = renderCard(
      template,
      {
        drug: [{ coding: [{ system: 's', code: '1', display: 'ibuprofen 400 MG' }] }],
        reason: ['warfarin', 'age'],
        order: ['MedicationRequest/d1'],
        code: [{ coding: [{ system: 'http://loinc.org', code: '4548-4' }] }],
      },
      { patientId: 'p1' },
      uuid,
    );
    expect(card.summary).toBe('Stop ibuprofen 400 MG');
    expect(card.detail).toBe('Because of warfarin, age.');
    expect(card.suggestions?.map((s) => s.label)).toEqual(['Cancel ibuprofen 400 MG', 'Order a test']);
    expect(card.suggestions?.[0]?.actions?.[0]).toEqual({ type: 'delete', description: 'Remove ibuprofen 400 MG', resourceId: 'MedicationRequest/d1' });
    expect(card.suggestions?.[1]?.actions?.[0]?.resource).toEqual({
      resourceType: 'ServiceRequest',
      subject: { reference: 'Patient/p1' },
      code: { coding: [{ system: 'http://loinc.org', code: '4548-4' }] },
    });
    expect(card.selectionBehavior).toBe('at-most-one');
    expect(card.links?.[0]?.appContext).toBe('{"patient":"p1"}');
  });

  it('leaves out a suggestion whose if: value is empty', () => {
    const card = renderCard(template, { drug: ['x'], reason: ['y'], order: [], code: [] }, { patientId: 'p1' }, uuid);
    expect(card.suggestions?.map((s) => s.label)).toEqual(['Order a test']);
  });

  it('shortens a rendered summary to 139 characters', () => {
    const card = renderCard(template, { drug: ['d'.repeat(200)], reason: ['r'], order: [], code: [] }, {}, uuid);
    expect(card.summary).toHaveLength(139);
    expect(card.summary.endsWith('…')).toBe(true);
  });

  it('refuses a card the spec would reject', () => {
    const bad: CardTemplate = { ...template, suggestions: undefined, links: undefined, summary: '{{drug}}' };
    expect(() => renderCard(bad, { drug: [] }, {}, uuid)).toThrow(CardRenderError);
  });

  it('lists placeholders with where they stand', () => {
    expect(placeholdersOf(template).map((p) => p.name)).toEqual(['drug', 'reason', 'drug', 'order', 'drug', 'order', 'context.patientId', 'code', 'context.patientId']);
  });

  it('reads quantities, codeable concepts and codings as text', () => {
    expect(readable({ value: 7.2, unit: '%' })).toBe('7.2 %');
    expect(readable({ text: 'Amoxicillin' })).toBe('Amoxicillin');
    expect(readable({ coding: [{ display: 'Penicillin G' }] })).toBe('Penicillin G');
    expect(readable(12)).toBe('12');
  });
});

describe('request text is never markup (issue 13, finding 5)', () => {
  const ATTACK = 'Ibu** <img src=x onerror=alert(1)> [Click to re-authenticate](https://evil.example/login) **';
  const attackTemplate: CardTemplate = {
    summary: 'Stop {{drug}}',
    detail: 'The order for **{{drug}}** needs review:\n\n{{list}}\n\n[The guideline](https://example.org/g)',
    indicator: 'warning',
    source: { label: 'Source: {{drug}}' },
    suggestions: [{ label: 'Cancel {{drug}}', actions: [{ type: 'delete', description: 'Remove {{drug}}', resourceId: 'MedicationRequest/x' }] }],
  };
  const render = (drug: string, list = '- one\n- two') => renderCard(attackTemplate, { drug: [{ display: drug }], list: [list] }, {}, uuid);

  it('a value in markdown is escaped (markdown and HTML); the author markdown around it stays', () => {
    const card = render(ATTACK);
    expect(card.detail).toBe(
      'The order for **Ibu\\*\\* &lt;img src=x onerror=alert(1)&gt; \\[Click to re-authenticate\\](https://evil.example/login) \\*\\*** needs review:\n\n- one\n- two\n\n[The guideline](https://example.org/g)',
    );
  });

  it('line starts that would make a heading, quote or rule are escaped; an author list of values stays a list', () => {
    expect(render('x', '# Big\n> quoted\n---\n1. first\n- kept item\n+ plus').detail).toContain('\\# Big\n&gt; quoted\n\\---\n1\\. first\n- kept item\n\\+ plus');
    expect(render('a_b `code` ~~x~~ |t| back\\slash & amp').detail).toContain('**a\\_b \\`code\\` \\~\\~x\\~\\~ \\|t\\| back\\\\slash &amp; amp**');
  });

  it('plain-text fields (summary, labels, descriptions) keep the text but lose control and direction characters', () => {
    const card = render('Ibu\u0000pro\u0007fen\n400\u202e MG\u2066\u200f\u0085');
    expect(card.summary).toBe('Stop Ibuprofen 400 MG');
    expect(card.suggestions![0]!.label).toBe('Cancel Ibuprofen 400 MG');
    expect(card.suggestions![0]!.actions![0]!.description).toBe('Remove Ibuprofen 400 MG');
    expect(card.source.label).toBe('Source: Ibuprofen 400 MG');
    expect(render(ATTACK).summary).toBe(`Stop ${ATTACK}`);
  });
});
