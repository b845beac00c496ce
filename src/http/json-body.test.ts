import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HttpError } from '../protocol/errors.ts';
import { nestingDepth } from '../protocol/json-depth.ts';
import { parseJsonBody } from './json-body.ts';

/** The nesting depth of a parsed value, the obvious way: what nestingDepth must find. */
const depthOf = (value: unknown): number =>
  value !== null && typeof value === 'object' ? 1 + Math.max(0, ...Object.values(value as Record<string, unknown>).map(depthOf)) : 0;

describe('nestingDepth', () => {
  it('is the depth of the parsed value for any JSON, strings with quotes, backslashes and brackets included', () => {
    const tricky = fc.constantFrom('\\', '"', '\\"', '\\\\', '[', ']', '{', '}', '\\\\"[', 'a"b\\c]');
    const text = fc.oneof(fc.string(), fc.array(tricky).map((parts) => parts.join('')));
    const value = fc.letrec((tie) => ({
      node: fc.oneof({ depthSize: 'small' }, text, fc.integer(), fc.constant(null), fc.array(tie('node')), fc.dictionary(text, tie('node'))),
    })).node;
    fc.assert(fc.property(value, (v) => nestingDepth(JSON.parse(JSON.stringify(v))) === depthOf(v)), { numRuns: 2000 });
  });

  it('stops counting past the limit', () => {
    expect(nestingDepth([[[[[[]]]]]], 3)).toBe(4);
    expect(nestingDepth({ a: [{ b: '[[[[' }] })).toBe(3);
  });
});

describe('parseJsonBody', () => {
  const bytes = (text: string) => new TextEncoder().encode(text);
  const refusal = (text: string, maxDepth: number) => {
    try {
      parseJsonBody('application/json', bytes(text), maxDepth);
    } catch (error) {
      return error instanceof HttpError ? { status: error.status, message: error.problems[0]!.message } : error;
    }
    return 'accepted';
  };

  it('refuses a body nested a million levels deep with a 400, not a stack overflow', () => {
    const deep = `${'['.repeat(1_000_000)}${']'.repeat(1_000_000)}`;
    expect(refusal(deep, 64)).toEqual({ status: 400, message: 'the request body nests deeper than 64 levels' });
  });

  it('takes a body exactly at the limit and refuses one level more', () => {
    const nested = (levels: number) => `${'{"a":'.repeat(levels - 1)}{}${'}'.repeat(levels - 1)}`;
    expect(refusal(nested(64), 64)).toBe('accepted');
    expect(refusal(nested(65), 64)).toEqual({ status: 400, message: 'the request body nests deeper than 64 levels' });
  });

  it('counts own keys only, also once something has added an enumerable property to Object.prototype', () => {
    const nested = (levels: number) => `${'{"a":'.repeat(levels - 1)}{}${'}'.repeat(levels - 1)}`;
    Object.defineProperty(Object.prototype, 'polluted', { value: { a: 1 }, enumerable: true, configurable: true, writable: true });
    try {
      // Walking the inherited key would meet it again in every object below: every body too deep.
      expect(refusal('{"hook":"patient-view","context":{"patientId":"p1"}}', 64)).toBe('accepted');
      expect(refusal(nested(64), 64)).toBe('accepted');
      expect(refusal(nested(65), 64)).toEqual({ status: 400, message: 'the request body nests deeper than 64 levels' });
    } finally {
      delete (Object.prototype as Record<string, unknown>).polluted;
    }
  });
});

