/**
 * Lint configuration: `nnspec.config.json`, found by walking up from each linted file (the
 * nearest wins, as with .editorconfig), or given with `--config`. It picks a preset
 * (`recommended`, the default, or `strict`), sets rules to off/warn/error with options, and
 * the portability target. Problems in the file are diagnostics that point into it; the
 * command exits 2 on them. Rule options are validated against each rule's schema (ajv), with
 * defaults filled in.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { ErrorObject } from 'ajv';
import * as jsonc from 'jsonc-parser';
import { DiagnosticBag, type Diagnostic } from '../diagnostics/diagnostic.js';
import { didYouMean } from '../diagnostics/did-you-mean.js';
import { SourceFile } from '../language/source.js';
import type { Span } from '../language/syntax-tree.js';
import { TARGETS, type Rule, type RuleLevel, type Target } from './rule.js';
import { RULES } from './rules/index.js';

export const CONFIG_FILE = 'nnspec.config.json';
export const PRESETS = ['recommended', 'strict'] as const;
export type Preset = (typeof PRESETS)[number];

export interface RuleSetting {
  level: Exclude<RuleLevel, 'off'>;
  options: Record<string, unknown>;
}

export interface ResolvedConfig {
  /** Where it came from (null: the built-in recommended preset). */
  file: string | null;
  rules: Map<string, RuleSetting>;
  target: Target | null;
}

export class ConfigError extends Error {
  constructor(readonly diagnostics: Diagnostic[]) {
    super(diagnostics.map((d) => d.message).join('; '));
  }
}

const RULE_IDS = RULES.map((r) => r.meta.id);
const byId = new Map<string, Rule<never>>(RULES.map((r) => [r.meta.id, r as Rule<never>]));

/** The level a preset gives a rule: `strict` turns every rule on and warnings into errors. */
export function presetLevel(rule: Rule<never>, preset: Preset): RuleLevel {
  return preset === 'strict' ? 'error' : rule.meta.recommended;
}

/** The nearest config file at or above `dir`, or null. */
export function findConfig(dir: string): string | null {
  let at = resolve(dir);
  for (;;) {
    const candidate = join(at, CONFIG_FILE);
    if (existsSync(candidate)) return candidate;
    const up = dirname(at);
    if (up === at) return null;
    at = up;
  }
}

export interface Overrides {
  /** `--rule id:level` (later ones win). */
  rules?: { id: string; level: RuleLevel }[];
  target?: Target;
}

/** A config file read and validated, or the recommended preset when `path` is null. */
export async function loadConfig(path: string | null, overrides: Overrides = {}): Promise<ResolvedConfig> {
  let preset: Preset = 'recommended';
  let target: Target | null = null;
  const settings = new Map<string, Setting>();
  let bag: DiagnosticBag | null = null;
  if (path) {
    const text = readFileSync(path, 'utf8');
    const source = new SourceFile(path, text);
    bag = new DiagnosticBag(source);
    const errors: jsonc.ParseError[] = [];
    const root = jsonc.parseTree(text, errors, { allowTrailingComma: true, disallowComments: false });
    for (const e of errors) bag.error('config/syntax', `${CONFIG_FILE} is not valid JSON: ${jsonc.printParseErrorCode(e.error)}`, { start: e.offset, end: e.offset + e.length });
    if (root && errors.length === 0) {
      const read = readConfigTree(root, bag);
      preset = read.preset;
      target = read.target;
      for (const [id, s] of read.rules) settings.set(id, s);
    }
  }
  for (const o of overrides.rules ?? []) settings.set(o.id, { level: o.level, options: settings.get(o.id)?.options ?? {}, at: settings.get(o.id)?.at ?? null });
  if (overrides.target) target = overrides.target;

  const rules = new Map<string, RuleSetting>();
  const needsValidation: [Rule<never>, unknown, Where | null][] = [];
  for (const rule of RULES as Rule<never>[]) {
    const set = settings.get(rule.meta.id);
    const level = set?.level ?? presetLevel(rule, preset);
    // Options are validated even for a rule that is off: a typo must not wait for the day it is turned on.
    if (set && set.options !== undefined && !(isPlainObject(set.options) && Object.keys(set.options).length === 0)) needsValidation.push([rule, set.options, set.at]);
    if (level === 'off') continue;
    rules.set(rule.meta.id, { level, options: defaults(rule) });
  }
  if (needsValidation.length > 0) {
    // ajv is loaded only when a config sets options: a plain lint starts without it.
    const { Ajv } = await import('ajv');
    const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: false });
    for (const [rule, options, at] of needsValidation) {
      const validate = ajv.compile(rule.meta.options ?? { type: 'object', additionalProperties: false, properties: {} });
      const copy = structuredClone(options);
      if (!validate(copy)) {
        for (const e of validate.errors ?? []) {
          const { message, hint, node } = describeOptionError(rule, e, at?.node ?? null);
          if (bag && at) bag.error('config/invalid-options', message, node ? spanOfNode(node) : at.span, { hint });
          else throw new ConfigError([commandLineDiagnostic(message)]);
        }
      } else if (rules.has(rule.meta.id)) rules.get(rule.meta.id)!.options = copy as Record<string, unknown>;
    }
  }
  if (bag && bag.errorCount > 0) throw new ConfigError(bag.sorted());
  return { file: path, rules, target };
}

/** Where a rule's setting is written: its options object (or the setting, without one). */
interface Where {
  span: Span;
  node: jsonc.Node | null;
}

interface Setting {
  level: RuleLevel;
  options: unknown;
  at: Where | null;
}

function spanOfNode(n: jsonc.Node): Span {
  return { start: n.offset, end: n.offset + n.length };
}

/** An ajv error in a rule's options, said in the config's terms, at the value (or key) it is about. */
function describeOptionError(rule: Rule<never>, e: ErrorObject, optionsNode: jsonc.Node | null): { message: string; hint?: string; node: jsonc.Node | undefined } {
  const path = e.instancePath
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  const jsonPath = path.map((p) => (/^\d+$/.test(p) ? Number(p) : p));
  const valueNode = optionsNode ? (jsonPath.length === 0 ? optionsNode : jsonc.findNodeAtLocation(optionsNode, jsonPath)) : undefined;
  const what = path.length === 0 ? 'options' : `option '${path.join('.')}'`;
  const known = Object.keys(rule.meta.options?.properties ?? {});
  if (e.keyword === 'additionalProperties') {
    const name = String((e.params as { additionalProperty: string }).additionalProperty);
    const prop = valueNode?.type === 'object' ? valueNode.children?.find((c) => c.children?.[0]?.value === name) : undefined;
    const message =
      path.length === 0
        ? `${rule.meta.id} has no option '${name}'${known.length === 0 ? ' (it takes no options)' : ` (its options: ${known.map((k) => `'${k}'`).join(', ')})`}`
        : `${what} of ${rule.meta.id} has no property '${name}'`;
    return { message, hint: path.length === 0 ? didYouMean(name, known) : undefined, node: prop?.children?.[0] ?? valueNode };
  }
  const allowed = e.keyword === 'enum' ? ` (${((e.params as { allowedValues: unknown[] }).allowedValues ?? []).map((v) => JSON.stringify(v)).join(', ')})` : '';
  return { message: `${what} of ${rule.meta.id} ${e.message ?? 'is not valid'}${allowed}`, node: valueNode };
}

function readConfigTree(root: jsonc.Node, bag: DiagnosticBag): { preset: Preset; target: Target | null; rules: Map<string, Setting> } {
  const out = { preset: 'recommended' as Preset, target: null as Target | null, rules: new Map<string, Setting>() };
  const spanOf = spanOfNode;
  if (root.type !== 'object') {
    bag.error('config/invalid', `${CONFIG_FILE} must hold an object`, spanOf(root));
    return out;
  }
  for (const prop of root.children ?? []) {
    const [keyNode, valueNode] = prop.children ?? [];
    if (!keyNode || !valueNode) continue;
    const key = String(keyNode.value);
    const value = jsonc.getNodeValue(valueNode) as unknown;
    switch (key) {
      case '$schema':
        break;
      case 'extends':
        if (typeof value === 'string' && (PRESETS as readonly string[]).includes(value)) out.preset = value as Preset;
        else bag.error('config/invalid', `"extends" must be one of ${PRESETS.map((p) => `"${p}"`).join(', ')}`, spanOf(valueNode), { hint: typeof value === 'string' ? didYouMean(value, PRESETS) : undefined });
        break;
      case 'target':
        if (typeof value === 'string' && (TARGETS as readonly string[]).includes(value)) out.target = value as Target;
        else bag.error('config/invalid', `"target" must be one of ${TARGETS.map((t) => `"${t}"`).join(', ')}`, spanOf(valueNode), { hint: typeof value === 'string' ? didYouMean(value, TARGETS) : undefined });
        break;
      case 'rules':
        if (valueNode.type !== 'object') {
          bag.error('config/invalid', '"rules" must be an object of rule id → "off" | "warn" | "error" | [level, options]', spanOf(valueNode));
          break;
        }
        for (const ruleProp of valueNode.children ?? []) {
          const [idNode, settingNode] = ruleProp.children ?? [];
          if (!idNode || !settingNode) continue;
          const id = String(idNode.value);
          if (!byId.has(id)) {
            bag.error('config/unknown-rule', `there is no rule '${id}'`, spanOf(idNode), { hint: didYouMean(id, RULE_IDS) });
            continue;
          }
          const setting = jsonc.getNodeValue(settingNode) as unknown;
          const level = Array.isArray(setting) ? setting[0] : setting;
          if (level !== 'off' && level !== 'warn' && level !== 'error') {
            bag.error('config/invalid', `rule '${id}' must be "off", "warn", "error" or [level, options]`, spanOf(settingNode));
            continue;
          }
          if (Array.isArray(setting) && (setting.length > 2 || (setting.length === 2 && !isPlainObject(setting[1])))) {
            bag.error('config/invalid', `rule '${id}': the array form is [level, { options }]`, spanOf(settingNode));
            continue;
          }
          const optionsNode = settingNode.type === 'array' ? settingNode.children?.[1] : undefined;
          out.rules.set(id, { level, options: Array.isArray(setting) ? setting[1] : undefined, at: { span: spanOf(optionsNode ?? settingNode), node: optionsNode ?? null } });
        }
        break;
      default:
        bag.error('config/unknown-key', `${CONFIG_FILE} has no setting "${key}"`, spanOf(keyNode), { hint: didYouMean(key, ['extends', 'rules', 'target', '$schema']) });
    }
  }
  return out;
}

function isPlainObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** A rule's options with every default filled in. */
export function defaults(rule: Rule<never>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, schema] of Object.entries(rule.meta.options?.properties ?? {})) out[name] = structuredClone(schema.default);
  return out;
}

function commandLineDiagnostic(message: string): Diagnostic {
  return { code: 'config/invalid-options', severity: 'error', message, source: new SourceFile('<command line>', ''), span: { start: 0, end: 0 } };
}

/** `--rule id:level` → a validated override. */
export function parseRuleFlag(text: string): { id: string; level: RuleLevel } | { error: string } {
  const colon = text.lastIndexOf(':');
  const id = colon > 0 ? text.slice(0, colon) : text;
  const level = colon > 0 ? text.slice(colon + 1) : '';
  if (!byId.has(id)) {
    const hint = didYouMean(id, RULE_IDS);
    return { error: `--rule: there is no rule '${id}'${hint ? ` (${hint})` : ''}` };
  }
  if (level !== 'off' && level !== 'warn' && level !== 'error') return { error: `--rule expects RULE:off|warn|error, got '${text}'` };
  return { id, level };
}
