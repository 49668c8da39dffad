/**
 * What a lint rule is: data (id, category, default severity, the lesson it teaches, where the
 * lesson comes from, its options) plus a check over a compiled model. One rule per file under
 * rules/; the catalogue (rules/index.ts) lists them, docs/rules.md is generated from it.
 */
import type { Span } from '../language/syntax-tree.js';
import type { LintContext } from './context.js';

export const CATEGORIES = ['init', 'activation', 'regularization', 'preprocessing', 'graph', 'training', 'portability', 'style'] as const;
export type RuleCategory = (typeof CATEGORIES)[number];

/** How a rule is set in a configuration. */
export type RuleLevel = 'off' | 'warn' | 'error';

/** The targets `--target` (or the config's `target`) checks portability to. */
export const TARGETS = ['pytorch', 'caffe', 'tfjs'] as const;
export type Target = (typeof TARGETS)[number];

export interface RuleReference {
  title: string;
  url: string;
}

/** A JSON Schema for a rule's options: an object whose properties all have defaults. */
export interface OptionsSchema {
  type: 'object';
  properties: Record<string, Record<string, unknown> & { default: unknown; description: string }>;
  additionalProperties: false;
}

export interface RuleMeta {
  /** `category/name`. */
  id: string;
  category: RuleCategory;
  /** The level in the `recommended` preset ('off': only `strict` turns it on). */
  recommended: RuleLevel;
  /** One line: what the rule finds. */
  description: string;
  /** The reasoning, for a person learning the lesson (Markdown). */
  explanation: string;
  references: RuleReference[];
  options: OptionsSchema | null;
  /** Whether the rule offers a fix that cannot change what the model computes (`--fix`). */
  fixable: boolean;
  /** Portability rules: the targets they speak about. */
  targets?: readonly Target[];
  /**
   * Check diagnostic codes this rule reports better (with the lesson attached): when the rule
   * is on, lint drops those diagnostics; when it is off, they stay as check prints them.
   */
  supersedes?: readonly string[];
}

/** A text edit: replace [start, end) of the file with `text`. */
export interface TextEdit {
  start: number;
  end: number;
  text: string;
}

export interface Problem {
  message: string;
  /** Where: a span, or a node (its layer), optionally narrowed to one of its fields. */
  span: Span;
  hint?: string;
  fix?: TextEdit[];
}

export interface Rule<O = Record<string, unknown>> {
  meta: RuleMeta;
  check(ctx: LintContext<O>): void;
}

export function defineRule<O = Record<string, never>>(rule: Rule<O>): Rule<O> {
  return rule;
}
