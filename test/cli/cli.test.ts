/** The authoring command line, run as authors run it: `node bin/cds-rules.mjs <command>`. */
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { checkContent } from '../../src/authoring/check.ts';
import { spawn } from 'node:child_process';
import { runToEnd } from '../support/processes.ts';

// Each test runs the CLI as a process, some three times; on a loaded machine that exceeds 30 s.
vi.setConfig({ testTimeout: 120_000 });

const cli = (...args: string[]) => runToEnd(['bin/cds-rules.mjs', ...args], { NO_COLOR: '1' });
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A bash pipeline from the repository root (stdin closed, no colour). */
function shell(script: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn('bash', ['-c', script], { env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/** A temp content folder: a copy of the shipped content, or empty. */
function contentDir(copy = true): string {
  const dir = mkdtempSync(join(tmpdir(), 'cds-cli-'));
  dirs.push(dir);
  if (copy) {
    cpSync('rules', join(dir, 'rules'), { recursive: true });
    cpSync('cards', join(dir, 'cards'), { recursive: true });
  }
  return dir;
}

describe('the cds-rules launcher', () => {
  it('runs a bundle of the sources, built again when a source changes (never a stale one)', async () => {
    const copy = contentDir(false);
    cpSync('bin', join(copy, 'bin'), { recursive: true });
    cpSync('src', join(copy, 'src'), { recursive: true });
    symlinkSync(resolve('node_modules'), join(copy, 'node_modules'));
    const run = () => runToEnd([join(copy, 'bin', 'cds-rules.mjs'), '--help'], { NO_COLOR: '1' });
    const first = await run();
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('check [dir]');
    expect(readdirSync(join(copy, 'build')).filter((d) => d.startsWith('cli-'))).toHaveLength(1);
    const main = join(copy, 'src', 'cli', 'main.ts');
    writeFileSync(main, readFileSync(main, 'utf8').replace('validate services, rules', 'VALIDATE services, rules'));
    const second = await run();
    expect(second.code).toBe(0);
    expect(second.stdout).toContain('VALIDATE services, rules');
    expect(readdirSync(join(copy, 'build')).filter((d) => d.startsWith('cli-'))).toHaveLength(2);
  });
});

describe('cds-rules check', () => {
  it('passes the shipped content', async () => {
    const { code, stdout } = await cli('check');
    const { ruleSet, tests } = await checkContent('.');
    const { services, rules, cards, valueSets } = ruleSet!.counts;
    expect(code).toBe(0);
    expect(stdout.trim()).toBe(`ok: ${services} services, ${rules} rules, ${cards} cards, ${valueSets} value sets, ${tests.length} test files`);
  });

  it('reports each mistake as path:line:col: message and exits 1', async () => {
    const dir = contentDir(false);
    mkdirSync(join(dir, 'rules', 'demo'), { recursive: true });
    mkdirSync(join(dir, 'rules', 'valuesets'));
    mkdirSync(join(dir, 'cards'));
    cpSync('rules/valuesets/warfarin.json', join(dir, 'rules', 'valuesets', 'warfarin.json'));
    writeFileSync(join(dir, 'rules', 'demo', 'service.yaml'), 'hook: order-sign\ntitle: Demo\ndescription: Three typical mistakes\n');
    writeFileSync(
      join(dir, 'rules', 'demo', 'warfarin-check.yaml'),
      [
        'id: warfarin-check',
        'title: Warfarin ordered',
        'references: [{ label: Coumadin label, url: "https://dailymed.nlm.nih.gov/dailymed/" }]',
        'define:',
        '  warfarinOrders: "%draftOrders.entry.resource.where(medication.coding.inValueSet(\'warfarine\'))"',
        '  coded: "%draftOrder.entry.resource.where(medication.coding.code = \'855332\')"',
        'when: "%warfarinOrders.exists()"',
        'crad: warfarin',
        '',
      ].join('\n'),
    );
    writeFileSync(join(dir, 'cards', 'warfarin.yaml'), 'summary: Warfarin ordered\nindicator: info\nsource:\n  label: Demo\n');
    const { code, stdout } = await cli('check', dir);
    expect(code).toBe(1);
    expect(stdout.trim().split('\n')).toEqual([
      "rules/demo/warfarin-check.yaml:1:1: card: a rule needs a card, systemActions, or both",
      "rules/demo/warfarin-check.yaml:5:84: value set 'warfarine' does not exist in rules/valuesets/ (did you mean 'warfarin'?)",
      "rules/demo/warfarin-check.yaml:6:11: %draftOrder is not a define, prefetch key or context variable here (did you mean 'draftOrders'?)",
      "rules/demo/warfarin-check.yaml:6:55: warning: 'coding.code = ...' compares the whole collection: it is false when a concept has two codings. Use coding.where(system = '...' and code = '...').exists(), or inValueSet('...')",
      "rules/demo/warfarin-check.yaml:8:1: unknown key 'crad' (did you mean 'card'?)",
      '4 error(s), 1 warning(s) in 4 file(s)',
    ]);
  });

  it('flags unknown functions and test files for rules that do not exist', async () => {
    const dir = contentDir();
    const rule = join(dir, 'rules', 'allergy-check', 'penicillin-allergy-beta-lactam.yaml');
    writeFileSync(rule, readFileSync(rule, 'utf8').replace('"%penicillinAllergies.exists()"', '"%penicillinAllergies.exist()"'));
    writeFileSync(join(dir, 'rules', 'allergy-check', 'nothing.test.yaml'), 'cases:\n  - name: x\n    expect: { cards: [] }\n');
    const { code, stdout } = await cli('check', dir);
    expect(code).toBe(1);
    expect(stdout).toContain("rules/allergy-check/penicillin-allergy-beta-lactam.yaml:15:29: unknown function 'exist' (did you mean 'exists'?)");
    expect(stdout).toContain("rules/allergy-check/nothing.test.yaml:1:1: no rule 'nothing' in service 'allergy-check' to test");
  });
});

describe('cds-rules test', () => {
  it('runs every case of the shipped content', async () => {
    const { code, stdout } = await cli('test');
    const cases = (await checkContent('.')).tests.reduce((n, t) => n + t.cases.length, 0);
    expect(code).toBe(0);
    expect(cases).toBeGreaterThanOrEqual(52);
    expect(stdout.trim().split('\n').at(-1)).toBe(`${cases} passed, 0 failed`);
  });

  it('shows a failing case with the difference and the explanation of the rule that did not do what it should', async () => {
    const dir = contentDir();
    const rule = join(dir, 'rules', 'renal-dosing', 'metformin-egfr-below-30.yaml');
    writeFileSync(rule, readFileSync(rule, 'utf8').replace('"%egfrValue < 30"', '"%egfrValue < 29"'));
    const { code, stdout } = await cli('test', dir, '--rule', 'metformin-egfr-below-30');
    expect(code).toBe(1);
    expect(stdout).toContain('✗ eGFR 29 fires');
    expect(stdout).toContain('rule metformin-egfr-below-30: expected 1 card(s), got 0 (none)');
    expect(stdout).toContain('why metformin-egfr-below-30: quiet');
    expect(stdout).toMatch(/✗ false {2}all\n +✓ true {3}%metforminDrafts\.exists\(\)\n +✗ false {2}%egfrValue < 29\n/);
    expect(stdout).toContain('%egfrValue = [29]');
    expect(stdout).toMatch(/%metforminDrafts = \[\{"resourceType":"MedicationRequest"/);
    expect(stdout.trim().split('\n').at(-1)).toBe('8 passed, 2 failed');
  });
});

describe('cds-rules test --rule', () => {
  it('runs only the rule of exactly that id', async () => {
    // warfarin-nsaid-gastroprotected contains the id: a substring match ran both.
    const { code, stdout } = await cli('test', '--rule', 'warfarin-nsaid');
    const cases = (await checkContent('.')).tests.find((t) => t.ruleId === 'warfarin-nsaid')!.cases.length;
    expect(code).toBe(0);
    expect(stdout.split('\n').filter((l) => l.startsWith('rules/'))).toEqual(['rules/drug-interactions/warfarin-nsaid.test.yaml']);
    expect(stdout.trim().split('\n').at(-1)).toBe(`${cases} passed, 0 failed`);
  });

  it('says so when no rule has that id, with the ids it may have meant, and exits 2', async () => {
    const partial = await cli('test', '--rule', 'metformin');
    expect(partial.code).toBe(2);
    expect(partial.stderr).toContain("cds-rules: no rule named 'metformin' (did you mean 'metformin-egfr-30-45-start', 'metformin-egfr-below-30' or 'metformin-iodinated-contrast'?)");
    const typo = await cli('test', '--rule', 'duplicate-nsiad');
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain("cds-rules: no rule named 'duplicate-nsiad' (did you mean 'duplicate-nsaid'?)");
    const none = await cli('test', '--rule', 'zzz');
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("cds-rules: no rule named 'zzz'\n");
  });

  it('times the first case without the warm-up, which it reports on its own line', async () => {
    const { code, stdout } = await cli('test', '--rule', 'duplicate-nsaid');
    expect(code).toBe(0);
    const lines = stdout.split('\n');
    const warmUp = lines.findIndex((l) => /^warm-up \(module loading and JIT, not counted\): \d+ ms$/.test(l));
    const firstCase = lines.findIndex((l) => l.includes('✓'));
    expect(warmUp).toBeGreaterThanOrEqual(0);
    expect(warmUp).toBeLessThan(firstCase);
  });
});

describe('cds-rules new', () => {
  for (const [target, hook] of [
    ['wellness/flu-vaccine', 'patient-view'],
    ['orders/first-check', 'order-sign'],
    ['drug-interactions/extra-check', undefined],
  ] as const) {
    it(`scaffolds ${target} so that check and test pass`, async () => {
      const dir = contentDir();
      const made = await cli('new', target, '--dir', dir, ...(hook ? ['--hook', hook] : []));
      expect(made.code).toBe(0);
      expect(made.stdout).toContain(`created ${join(dir, 'rules', ...target.split('/'))}.yaml`);
      const checked = await cli('check', dir);
      expect(checked.stdout).toContain(`rules/${target}.yaml:7:10: warning: placeholder reference: cite the real source before this rule goes live`);
      expect(checked.code).toBe(0);
      const tested = await cli('test', dir, '--rule', target.split('/')[1]!);
      expect(tested.stdout.trim().split('\n').at(-1)).toBe('2 passed, 0 failed');
      expect(tested.code).toBe(0);
    });
  }

  it('refuses an unknown hook, naming the one it may have meant', async () => {
    const dir = contentDir(false);
    const { code, stderr } = await cli('new', 'orders/first-check', '--hook', 'order-signed', '--dir', dir);
    expect(code).toBe(2);
    expect(stderr).toContain("cds-rules: --hook 'order-signed' is not a hook this service knows (did you mean 'order-sign'?); expected one of patient-view, order-select, order-sign");
  });

  it('refuses a --hook that differs from the existing service', async () => {
    const dir = contentDir();
    const { code, stderr } = await cli('new', 'drug-interactions/extra-check', '--hook', 'patient-view', '--dir', dir);
    expect(code).toBe(2);
    expect(stderr).toContain("cds-rules: service 'drug-interactions' answers order-sign (rules/drug-interactions/service.yaml), not patient-view");
  });

  it('refuses a malformed target with exit code 2', async () => {
    const { code, stderr } = await cli('new', 'Bad Name');
    expect(code).toBe(2);
    expect(stderr).toContain('expected <service>/<rule>');
  });
});

/** An order-sign request: oxycodone ordered for a patient on alprazolam. */
const oxycodoneForPatientOnAlprazolam = () => ({
  hook: 'order-sign',
  hookInstance: crypto.randomUUID(),
  context: {
    userId: 'Practitioner/u',
    patientId: 'p1',
    draftOrders: { resourceType: 'Bundle', type: 'collection', entry: [{ resource: { resourceType: 'MedicationRequest', id: 'd1', status: 'draft', intent: 'order', medicationCodeableConcept: { coding: [{ system: 'http://www.nlm.nih.gov/research/umls/rxnorm', code: '1049621', display: 'oxycodone hydrochloride 5 MG Oral Tablet' }] } } }] },
  },
  prefetch: {
    patient: { resourceType: 'Patient', id: 'p1', birthDate: '1980-01-01' },
    activeMeds: { resourceType: 'Bundle', type: 'searchset', entry: [{ resource: { resourceType: 'MedicationRequest', id: 'a1', status: 'active', intent: 'order', medicationCodeableConcept: { coding: [{ system: 'http://www.nlm.nih.gov/research/umls/rxnorm', code: '308048', display: 'alprazolam 0.5 MG Oral Tablet' }] } } }] },
    potassium: { resourceType: 'Bundle', type: 'searchset' },
  },
});

describe('cds-rules preview', () => {
  it('prints the cards as a clinician reads them and each rule with its time', async () => {
    const dir = contentDir(false);
    const request = join(dir, 'request.json');
    writeFileSync(request, JSON.stringify(oxycodoneForPatientOnAlprazolam()));
    const { code, stdout } = await cli('preview', request, '--service', 'drug-interactions');
    expect(code).toBe(0);
    expect(stdout).toContain('── drug-interactions (order-sign)');
    expect(stdout).toContain('▲ WARNING  Avoid prescribing oxycodone hydrochloride 5 MG Oral Tablet with alprazolam 0.5 MG Oral Tablet');
    expect(stdout).toContain('○ Cancel the oxycodone hydrochloride 5 MG Oral Tablet order  [delete MedicationRequest/d1]');
    expect(stdout).toContain('○ Prescribe naloxone nasal spray  [create MedicationRequest]');
    expect(stdout).toMatch(/opioid-benzodiazepine\s+fired\s+\d+\.\d\d/);
    expect(stdout).toMatch(/warfarin-nsaid\s+quiet\s+\d+\.\d\d/);
  });

  it('without --service shows the services that could run, and says why the others did not', async () => {
    const dir = contentDir(false);
    const request = join(dir, 'request.json');
    writeFileSync(request, JSON.stringify(oxycodoneForPatientOnAlprazolam()));
    const { code, stdout } = await cli('preview', request);
    expect(code).toBe(0);
    expect(stdout).toContain('── drug-interactions (order-sign)');
    expect(stdout).toContain('▲ WARNING  Avoid prescribing oxycodone hydrochloride 5 MG Oral Tablet with alprazolam 0.5 MG Oral Tablet');
    expect(stdout).not.toContain('answered 412');
    expect(stdout).not.toContain('── renal-dosing');
    expect(stdout).toMatch(/^not run: renal-dosing: the request lacks prefetch egfr, crclObservations \(no fhirServer to fetch it from\)$/m);
  });

  it('stops quietly when its reader goes away (| head)', async () => {
    const file = 'test/fixtures/synthea/Debora709_Mayer370.bundle.json';
    for (const reader of ['head -n 1', 'true']) {
      const { code, stdout, stderr } = await shell(`node bin/cds-rules.mjs preview ${file} | ${reader}; echo "exit \${PIPESTATUS[0]}"`);
      expect(stderr).toBe('');
      expect(stdout.trim().split('\n').at(-1)).toBe('exit 0');
      expect(code).toBe(0);
    }
  });

  it('--why prints the rule\'s tree: each condition\'s state, the defines it read with their values, its time', async () => {
    const dir = contentDir(false);
    const request = join(dir, 'request.json');
    writeFileSync(request, JSON.stringify(oxycodoneForPatientOnAlprazolam()));
    const { code, stdout } = await cli('preview', request, '--service', 'drug-interactions', '--why', 'warfarin-nsaid');
    expect(code).toBe(0);
    const tree = stdout.slice(stdout.indexOf('why warfarin-nsaid'));
    expect(tree).toMatch(/^why warfarin-nsaid: quiet \(\d+\.\d\d ms\)\n/);
    expect(tree).toContain(
      [
        '     ✗ false  all',
        '         ✗ false  any',
        '             ✗ false  all',
        '                 ✗ false  %nsaidDrafts.exists()',
        '                 · not evaluated  %activeWarfarin.exists() or %warfarinDrafts.exists()',
        '             ✗ false  all',
        '                 ✗ false  %warfarinDrafts.exists()',
        '                 · not evaluated  %activeNsaids.exists()',
        '         · not evaluated  not',
        '             · not evaluated  %gastroprotected',
        '     defines read:',
        '       %nsaidDrafts = []',
        '       %draftMeds = [{"resourceType":"MedicationRequest","id":"d1",',
      ].join('\n'),
    );
    expect(tree).toContain('       %warfarinDrafts = []\n');
  });

  it('--why with a rule the service does not have is a usage error naming the rules it has', async () => {
    const dir = contentDir(false);
    const request = join(dir, 'request.json');
    writeFileSync(request, JSON.stringify(oxycodoneForPatientOnAlprazolam()));
    const { code, stderr } = await cli('preview', request, '--service', 'drug-interactions', '--why', 'warfarin-nsiad');
    expect(code).toBe(2);
    expect(stderr).toContain("cds-rules: --why: no rule 'warfarin-nsiad' in service 'drug-interactions' (it has ");
  });

  it('previews a Synthea patient record at patient-view', async () => {
    const { code, stdout } = await cli('preview', 'test/fixtures/synthea/Debora709_Mayer370.bundle.json');
    expect(code).toBe(0);
    expect(stdout).toContain('── preventive-care (patient-view)');
    expect(stdout).toMatch(/statin-primary-prevention\s+quiet/);
  });
});

describe('cds-rules import-valueset', () => {
  it('writes the value set with its origin and reports unknown code systems', async () => {
    const dir = contentDir(false);
    mkdirSync(join(dir, 'rules'));
    const source = join(dir, 'vsac.json');
    writeFileSync(
      source,
      JSON.stringify({
        resourceType: 'ValueSet',
        id: '2.16.840.1.113883.3.117.1.7.1.232',
        url: 'http://cts.nlm.nih.gov/fhir/ValueSet/2.16.840.1.113883.3.117.1.7.1.232',
        version: '20170504',
        name: 'Warfarin',
        expansion: {
          timestamp: '2024-01-02T00:00:00Z',
          contains: [
            { system: 'http://www.nlm.nih.gov/research/umls/rxnorm', code: '855332', display: 'warfarin sodium 5 MG Oral Tablet' },
            { system: 'http://example.org/local-drugs', code: 'W5' },
          ],
        },
      }),
    );
    const { code, stdout } = await cli('import-valueset', source, '--id', 'my-warfarin', '--dir', dir);
    expect(code).toBe(0);
    expect(stdout).toContain(`wrote 2 codes to ${join(dir, 'rules', 'valuesets', 'my-warfarin.json')}`);
    expect(stdout).toContain('unknown system      1  http://example.org/local-drugs');
    const written = JSON.parse(readFileSync(join(dir, 'rules', 'valuesets', 'my-warfarin.json'), 'utf8'));
    expect(written).toMatchObject({
      resourceType: 'ValueSet',
      id: 'my-warfarin',
      url: 'http://cts.nlm.nih.gov/fhir/ValueSet/2.16.840.1.113883.3.117.1.7.1.232',
      version: '20170504',
      expansion: { timestamp: '2024-01-02T00:00:00Z', contains: [{ code: '855332' }, { code: 'W5' }] },
    });
    expect(written.description).toMatch(/^Origin: Imported from vsac\.json on \d{4}-\d\d-\d\d, canonical http:\/\/cts/);
    const again = await cli('import-valueset', source, '--id', 'my-warfarin', '--dir', dir);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('exists; use --force');
  });

  it('keeps the status of the value set it imports (draft stays draft)', async () => {
    const dir = contentDir(false);
    mkdirSync(join(dir, 'rules'));
    const source = join(dir, 'draft.json');
    writeFileSync(source, JSON.stringify({ resourceType: 'ValueSet', id: 'draft-set', status: 'draft', expansion: { contains: [{ system: 'http://www.nlm.nih.gov/research/umls/rxnorm', code: '855332' }] } }));
    expect((await cli('import-valueset', source, '--dir', dir)).code).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, 'rules', 'valuesets', 'draft-set.json'), 'utf8')).status).toBe('draft');
  });

  it('refuses a file that is not a ValueSet', async () => {
    const dir = contentDir(false);
    writeFileSync(join(dir, 'x.json'), JSON.stringify({ resourceType: 'Patient', id: 'p' }));
    const { code, stderr } = await cli('import-valueset', join(dir, 'x.json'), '--dir', dir);
    expect(code).toBe(2);
    expect(stderr).toContain("is not a FHIR ValueSet: resourceType: Invalid input: expected \"ValueSet\"");
  });
});
