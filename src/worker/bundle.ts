/**
 * Content bundled into the Worker at build time (src/node/build-content.ts writes it, validated),
 * compiled once per isolate at start-up: FHIRPath closures cannot be bundled, their texts can.
 */
import { compileContent, type RuleSet } from '../rules/compile.ts';
import { formatProblem, type SourceFile } from '../rules/source.ts';

export interface ContentBundle {
  files: SourceFile[];
  /** When the build ran (ISO time): `/health` shows it, so one can tell which content is served. */
  builtAt?: string;
  /**
   * Only from a development build (`npm run dev:worker`) of content that does not compile: its
   * `path:line:col` problems, which the Worker answers with (503) instead of serving.
   */
  problems?: string[];
}

/** Compiles a bundle; throws (so the Worker refuses to start) if it does not compile. */
export function compileBundle(bundle: ContentBundle): RuleSet {
  const { ruleSet, problems } = compileContent(bundle.files);
  if (!ruleSet) throw new Error(`bundled content does not compile:\n${problems.map(formatProblem).join('\n')}`);
  return ruleSet;
}
