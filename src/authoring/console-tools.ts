/**
 * What the console needs from the content folder (src/http/admin-console.ts `AuthoringTools`):
 * the example patients shipped beside the rules and the call each makes, the folder as it is on
 * disk now (for a replay of working files), and the load problems of the content in force.
 */
import type { AuthoringTools, ExampleCase } from '../http/admin-deps.ts';
import type { SourceFile } from '../rules/source.ts';
import { readContentFiles } from './content-folder.ts';
import { caseCall, loadRuleTests, type RuleTestFile } from './rule-tests.ts';

export interface ConsoleToolsOptions {
  /** The content folder (CDS_CONTENT_DIR). */
  root: string;
  /** The files the content in force was compiled from (its test files among them), when known. */
  filesInForce: () => SourceFile[] | undefined;
  problems: AuthoringTools['problems'];
}

export function consoleTools(options: ConsoleToolsOptions): AuthoringTools {
  const tests = async (): Promise<RuleTestFile[]> => {
    const files = options.filesInForce() ?? (await readContentFiles(options.root));
    return loadRuleTests(files, options.root).tests;
  };
  return {
    async examples() {
      return (await tests()).flatMap((t) =>
        t.cases.map((c, index): ExampleCase => ({ service: t.serviceId, rule: t.ruleId, index, name: c.name, expectsCards: c.expect.cards.length })),
      );
    },
    async exampleCall(service, rule, index, now) {
      const test = (await tests()).find((t) => t.serviceId === service.id && t.ruleId === rule);
      const testCase = test?.cases[index];
      if (!test || !testCase) return undefined;
      const { body, fetch } = await caseCall(service, test, testCase, now);
      return { body, fetch };
    },
    workingFiles: () => readContentFiles(options.root),
    problems: options.problems,
  };
}
