import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nestingDepth } from './json-body.ts';

/** The nesting depth of a parsed value: what the text scan must find without parsing. */
const depthOf = (value: unknown): number =>
  value !== null && typeof value === 'object' ? 1 + Math.max(0, ...Object.values(value as Record<string, unknown>).map(depthOf)) : 0;

describe('nestingDepth', () => {
  it('is the depth of the parsed value for any JSON, strings with quotes, backslashes and brackets included', () => {
    const tricky = fc.constantFrom('\\', '"', '\\"', '\\\\', '[', ']', '{', '}', '\\\\"[', 'a"b\\c]');
    const text = fc.oneof(fc.string(), fc.array(tricky).map((parts) => parts.join('')));
    const value = fc.letrec((tie) => ({
      node: fc.oneof({ depthSize: 'small' }, text, fc.integer(), fc.constant(null), fc.array(tie('node')), fc.dictionary(text, tie('node'))),
    })).node;
    fc.assert(fc.property(value, (v) => nestingDepth(JSON.stringify(v)) === depthOf(v)), { numRuns: 2000 });
  });

  it('stops counting past the limit, and counts nothing after an unterminated string', () => {
    expect(nestingDepth('[[[[[[', 3)).toBe(4);
    expect(nestingDepth('[["abc\\"[[[[')).toBe(2);
  });
});
