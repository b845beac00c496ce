/** `cds-rules new <service>/<rule>`: scaffold a rule, its card and its test, ready to edit. */
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { HOOK_NAMES, isHookName } from '../protocol/hooks.ts';
import { PLACEHOLDER_REFERENCE } from '../rules/compile.ts';
import { SERVICE_ID } from '../rules/content.ts';
import { didYouMean } from '../rules/source.ts';
import { RULE_ID } from '../rules/schema.ts';
import { UsageError } from './args.ts';
import { green, println } from './output.ts';

const PLACEHOLDER_URL = PLACEHOLDER_REFERENCE;

const titleOf = (id: string) => id.replace(/[-_.]+/g, ' ').replace(/^./, (c) => c.toUpperCase());

export async function scaffold(root: string, target: string, hookOption?: string): Promise<number> {
  const match = /^([^/]+)\/([^/]+)$/.exec(target);
  if (!match || !SERVICE_ID.test(match[1]!) || !RULE_ID.test(match[2]!)) {
    throw new UsageError(`expected <service>/<rule>, e.g. preventive-care/flu-vaccine (rule ids: lower-case letters, digits, . _ -), got '${target}'`);
  }
  const [, serviceId, ruleId] = match as unknown as [string, string, string];
  const serviceFile = join(root, 'rules', serviceId, 'service.yaml');
  const ruleFile = join(root, 'rules', serviceId, `${ruleId}.yaml`);
  const testFile = join(root, 'rules', serviceId, `${ruleId}.test.yaml`);
  const cardFile = join(root, 'cards', serviceId, `${ruleId}.yaml`);
  for (const file of [ruleFile, testFile, cardFile]) {
    if (existsSync(file)) throw new UsageError(`${file} already exists`);
  }

  if (hookOption !== undefined && !isHookName(hookOption)) {
    throw new UsageError(`--hook '${hookOption}' is not a hook this service knows${didYouMean(hookOption, HOOK_NAMES)}; expected one of ${HOOK_NAMES.join(', ')}`);
  }
  let hook: string = hookOption ?? 'patient-view';
  if (existsSync(serviceFile)) {
    const declared = /^hook:\s*([\w-]+)/m.exec(await readFile(serviceFile, 'utf8'))?.[1];
    if (declared && hookOption !== undefined && declared !== hookOption) {
      throw new UsageError(`service '${serviceId}' answers ${declared} (rules/${serviceId}/service.yaml), not ${hookOption}: leave out --hook, or name another service`);
    }
    if (declared) hook = declared;
  }
  const orders = hook === 'order-select' || hook === 'order-sign';

  const written: string[] = [];
  const write = async (file: string, text: string) => {
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, text);
    written.push(file);
  };

  if (!existsSync(serviceFile)) {
    await write(
      serviceFile,
      `# ${titleOf(serviceId)}: one CDS service, answering the ${hook} hook.\nhook: ${hook}\ntitle: ${titleOf(serviceId)}\ndescription: >-\n  Say in a sentence or two what this service checks, for the EHR's administrators.\n`,
    );
  }

  const when = orders
    ? `define:\n  medicationOrders: "%draftOrders.entry.resource.ofType(MedicationRequest)"\nwhen: "%medicationOrders.exists()"\ncard: ${serviceId}/${ruleId}\nwith:\n  drug: "%medicationOrders.first().medication"\n`
    : `prefetch:\n  patient: Patient/{{context.patientId}}\nwhen: "%patient.birthDate.ageInYears() >= 18"\ncard: ${serviceId}/${ruleId}\nwith:\n  age: "%patient.birthDate.ageInYears()"\n`;
  await write(
    ruleFile,
    `id: ${ruleId}\ntitle: ${titleOf(ruleId)}\ndescription: >-\n  What the rule checks, for whom, and why. Replace this text and the condition below.\nreferences:\n  - label: Replace with the guideline or drug label this rule implements\n    url: ${PLACEHOLDER_URL}\n${when}`,
  );

  const value = orders ? '{{drug}}' : '{{age}} years old';
  await write(
    cardFile,
    `summary: "${titleOf(ruleId)}: ${value}"\nindicator: info\ndetail: |\n  Say why (the patient's own values) and what to do.\nsource:\n  label: Replace with the source's short name\n  url: ${PLACEHOLDER_URL}\n`,
  );

  const cases = orders
    ? `  - name: a medication order fires\n    draftOrders:\n      - resourceType: MedicationRequest\n        medicationCodeableConcept: { coding: [{ system: http://www.nlm.nih.gov/research/umls/rxnorm, code: "197805", display: Ibuprofen 400 MG Oral Tablet }] }\n    expect:\n      cards:\n        - indicator: info\n          summary: "${titleOf(ruleId)}: Ibuprofen 400 MG Oral Tablet"\n\n  - name: no medication order, no card\n    draftOrders: []\n    expect: { cards: [] }\n`
    : `  - name: an adult fires\n    patient: { birthDate: $today-40y, gender: female }\n    expect:\n      cards:\n        - indicator: info\n          summary: "${titleOf(ruleId)}: 40 years old"\n\n  - name: a child does not fire\n    patient: { birthDate: $today-10y, gender: female }\n    expect: { cards: [] }\n`;
  await write(testFile, `# Example patients for ${ruleId}: cases that must fire and cases that must not.\ncases:\n${cases}`);

  for (const file of written) println(green(`created ${file}`));
  println(`next: edit the rule, then run cds-rules check and cds-rules test`);
  return 0;
}
