/**
 * Prints a rule's explanation as a tree: every condition with what it came to, the defines the
 * rule read with their values, and its time. `preview --why RULE` and a failing `test` use it.
 * It goes to the author's terminal only: the values are patient data.
 */
import type { ConditionState, ConditionTrace, RuleExplanation } from '../rules/evaluate.ts';
import { brief, dim, green, println, red, yellow } from './output.ts';

const MARK: Record<ConditionState, string> = {
  true: green('✓ true '),
  false: red('✗ false'),
  'not-evaluated': dim('· not evaluated'),
  error: red('! error'),
};

export function printExplanation(explanation: RuleExplanation, indent = '   '): void {
  println(`${indent}why ${explanation.rule}: ${explanation.outcome} ${dim(`(${explanation.ms.toFixed(2)} ms)`)}`);
  printCondition(explanation.conditions, `${indent}  `);
  if (explanation.defines.length === 0) {
    println(`${indent}  ${dim('defines read: none')}`);
    return;
  }
  println(`${indent}  defines read:`);
  for (const d of explanation.defines) println(`${indent}    %${d.name} = ${d.error !== undefined ? red(`error: ${d.error}`) : brief(d.value)}`);
}

function printCondition(trace: ConditionTrace, indent: string): void {
  if (trace.kind === 'expr') {
    const result = trace.state === 'error' ? red(`  ${trace.error}`) : trace.result !== undefined && !isBoolean(trace.result) ? dim(`  = ${brief(trace.result, 80)}`) : '';
    println(`${indent}${MARK[trace.state]}  ${trace.expression}${result}`);
    return;
  }
  println(`${indent}${MARK[trace.state]}  ${yellow(trace.kind)}`);
  for (const item of trace.kind === 'not' ? [trace.item] : trace.items) printCondition(item, `${indent}    `);
}

/** `[true]` or `[false]` says nothing the mark does not. */
const isBoolean = (result: unknown[]) => result.length === 1 && typeof result[0] === 'boolean';
