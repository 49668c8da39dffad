/**
 * `nnspec lint`: the check's diagnostics plus every enabled rule's findings, on every net state
 * of a file (a Caffe train/val file holds several), with inline suppressions applied and the
 * fixes that rules offer collected for `--fix`.
 */
import { forEachNetState, type CompileOptions, type CompileResult } from '../compile.js';
import { DiagnosticBag, type Diagnostic } from '../diagnostics/diagnostic.js';
import { didYouMean } from '../diagnostics/did-you-mean.js';
import type { SourceFile } from '../language/source.js';
import type { NodeReport } from '../passes/analyze.js';
import type { ResolvedConfig } from './config.js';
import { LintContext, LintModel } from './context.js';
import { CATEGORIES, type Rule, type TextEdit } from './rule.js';
import { RULES } from './rules/index.js';
import { findDirectives, idRemoval, removal, suppresses } from './suppressions.js';

export interface LintResult {
  path: string;
  source: SourceFile | null;
  diagnostics: Diagnostic[];
  /** Fixes by diagnostic (only for problems that were reported, not suppressed). */
  fixes: Map<Diagnostic, TextEdit[]>;
}

const KNOWN_IDS = RULES.map((r) => r.meta.id);

export async function lintFile(path: string, config: ResolvedConfig, options: CompileOptions = {}): Promise<LintResult> {
  const fixes: Fixes = new Map();
  const superseded = new Set<string>();
  for (const rule of RULES) if (config.rules.has(rule.meta.id)) for (const code of rule.meta.supersedes ?? []) superseded.add(code);
  let source: SourceFile | null = null;
  let reports: NodeReport[] = [];
  const checked = await forEachNetState(
    path,
    { ...options, keepNodes: true },
    (result) => {
      source = result.source;
      return [...result.diagnostics.filter((d) => !superseded.has(d.code)), ...runRules(result, reports, config, fixes)];
    },
    () => {
      reports = [];
      return { onReport: (r: NodeReport) => reports.push(r) };
    },
  );
  if (!source) return { path, source, diagnostics: checked.diagnostics, fixes: new Map() };
  const src: SourceFile = source;
  const directives = findDirectives(src);
  const kept: Diagnostic[] = [];
  const out = new Map<Diagnostic, TextEdit[]>();
  for (const d of checked.diagnostics) {
    if (directives.length > 0 && suppresses(directives, d, src.position(d.span.start).line)) continue;
    kept.push(d);
    const edits = fixFor(fixes, d);
    if (edits) out.set(d, edits);
  }
  // Directives that silenced nothing, and rule ids that do not exist.
  const bag = new DiagnosticBag(src);
  for (const dir of directives) {
    for (const [i, r] of dir.rules.entries()) {
      // Ids of check diagnostics (caffe/…, shape/…) may be silenced too; a lint category with an unknown name is a typo.
      if (!KNOWN_IDS.includes(r.id) && (CATEGORIES as readonly string[]).includes(r.id.split('/')[0]!)) {
        bag.warning('lint/unknown-rule', `'${r.id}' is not a rule id`, r.span, { hint: didYouMean(r.id, KNOWN_IDS) });
      } else if (!r.used && dir.used) {
        bag.warning('lint/unused-suppression', `this directive silences nothing from '${r.id}'`, r.span);
        const d = bag.items[bag.items.length - 1]!;
        out.set(d, [idRemoval(src, dir, i)]);
      }
    }
    const allUnknown = dir.rules.length > 0 && dir.rules.every((r) => !KNOWN_IDS.includes(r.id) && (CATEGORIES as readonly string[]).includes(r.id.split('/')[0]!));
    if (!dir.used && !allUnknown) {
      const what = dir.rules.length === 0 ? 'any rule' : dir.rules.map((r) => `'${r.id}'`).join(', ');
      bag.warning('lint/unused-suppression', `this nnspec-disable-${dir.kind} directive silences nothing (no problem from ${what} ${dir.kind === 'file' ? 'in this file' : 'on its line'})`, dir.span);
      const d = bag.items[bag.items.length - 1]!;
      out.set(d, [removal(src, dir)]);
    }
  }
  const diagnostics = [...kept, ...bag.items].sort((a, b) => a.span.start - b.span.start || a.span.end - b.span.end);
  return { path, source: src, diagnostics, fixes: out };
}

/** Offered fixes by where and what they fix (code and span), each with the message of its problem. */
type Fixes = Map<string, { message: string; edits: TextEdit[] }[]>;

function fixKey(d: Diagnostic): string {
  return `${d.code}|${d.span.start}|${d.span.end}`;
}

/**
 * The fix offered for a reported problem. A problem found in only some nets of a file has their
 * names added to its message (forEachNetState), so the message is matched as a prefix too.
 */
function fixFor(fixes: Fixes, d: Diagnostic): TextEdit[] | undefined {
  const offered = fixes.get(fixKey(d));
  return (offered?.find((f) => f.message === d.message) ?? offered?.find((f) => d.message.startsWith(`${f.message} (in the `)))?.edits;
}

/** Runs the enabled rules over one compiled net state. */
function runRules(result: CompileResult, reports: NodeReport[], config: ResolvedConfig, fixes: Fixes): Diagnostic[] {
  // Rules read a bound model; after a syntax error its layers are not all there.
  if (result.diagnostics.some((d) => d.code.startsWith('syntax/'))) return [];
  const bag = new DiagnosticBag(result.source);
  const model = new LintModel(result.model, result.source, reports, config.target);
  for (const rule of RULES as Rule<Record<string, unknown>>[]) {
    const setting = config.rules.get(rule.meta.id);
    if (!setting) continue;
    const severity = setting.level === 'error' ? 'error' : 'warning';
    const ctx = new LintContext(model, setting.options, (p) => {
      const before = bag.items.length;
      bag.add(rule.meta.id, severity, p.message, p.span, p.hint ? { hint: p.hint } : undefined);
      if (p.fix && rule.meta.fixable && bag.items.length > before) {
        const d = bag.items[before]!;
        const offered = fixes.get(fixKey(d)) ?? [];
        if (!offered.some((f) => f.message === d.message)) fixes.set(fixKey(d), [...offered, { message: d.message, edits: p.fix }]);
      }
    });
    try {
      rule.check(ctx);
    } catch (e) {
      bag.error('lint/rule-failed', `rule ${rule.meta.id} failed on this file: ${e instanceof Error ? e.message : String(e)}; this is a bug in nnspec`, { start: 0, end: 0 });
    }
  }
  return bag.items;
}

/** The text with non-overlapping edits applied (an edit overlapping an earlier one waits for the next run). */
export function applyEdits(text: string, edits: TextEdit[]): { text: string; applied: number } {
  const sorted = [...edits].sort((a, b) => a.start - b.start || a.end - b.end);
  let out = '';
  let at = 0;
  let applied = 0;
  for (const e of sorted) {
    if (e.start < at) continue;
    out += text.slice(at, e.start) + e.text;
    at = e.end;
    applied++;
  }
  return { text: out + text.slice(at), applied };
}

/**
 * Applies whole fixes: a fix (the edits of one problem) is applied only if none of its edits
 * overlaps an edit of a fix taken before it, so no fix is ever half applied; the others wait for
 * the next run. `applied[i]` says whether fixes[i] was.
 */
export function applyFixes(text: string, fixes: readonly (readonly TextEdit[])[]): { text: string; applied: boolean[] } {
  const overlap = (a: TextEdit, b: TextEdit) => (a.start < b.end && b.start < a.end) || a.start === b.start;
  const order = fixes.map((_, i) => i).sort((i, j) => Math.min(...fixes[i]!.map((e) => e.start)) - Math.min(...fixes[j]!.map((e) => e.start)) || i - j);
  const taken: TextEdit[] = [];
  const applied = fixes.map(() => false);
  for (const i of order) {
    const edits = fixes[i]!;
    if (edits.length === 0) continue;
    const clash = edits.some((e, k) => e.start < 0 || e.end < e.start || e.end > text.length || edits.some((f, l) => l !== k && overlap(e, f)) || taken.some((t) => overlap(e, t)));
    if (clash) continue;
    taken.push(...edits);
    applied[i] = true;
  }
  return { text: applyEdits(text, taken).text, applied };
}
