/**
 * Lint configuration: nnspec.config.json found upward from each linted file (nearest wins) or
 * given with --config; presets; rule levels and options (validated, with diagnostics that point
 * into the file); --rule and --target overrides. In-process tests run against the test
 * catalogue of tooling-kit.ts; the CLI tests use only what holds for any catalogue.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it, vi } from 'vitest';
import { ConfigError, findConfig, loadConfig, parseRuleFlag, presetLevel } from '../../src/lint/config.js';
import type { Rule } from '../../src/lint/rule.js';
import { cli, ROOT, STACK_TRACE } from '../helpers.js';
import { codes, lintInProcess, problems } from './lint-runner.js';
import { at, CLEAN, DROPOUT, HEAD, ONE_WARNING, PYTHON, quiet, RELU, TEST_RULES, tmp, tree } from './tooling-kit.js';

vi.mock('../../src/lint/rules/index.js', async () => (await import('./tooling-kit.js')).testCatalogue());

/** A net every test rule has something to say about (except max-layers, below its default). */
const NET = `${HEAD}${RELU('Relu1')}\n${DROPOUT('drop', 'Relu1')}\n${PYTHON('py', 'drop')}\n`;

const levels = (rules: Map<string, { level: string }>) => Object.fromEntries([...rules].map(([id, s]) => [id, s.level]));

async function configError(text: string): Promise<{ code: string; at: string; message: string; hint?: string }[]> {
  const path = join(tmp(), 'nnspec.config.json');
  writeFileSync(path, text);
  try {
    await loadConfig(path);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    return e.diagnostics.map((d) => {
      const p = d.source.position(d.span.start);
      return { code: d.code, at: `${p.line}:${p.column}`, message: d.message, ...(d.hint ? { hint: d.hint } : {}) };
    });
  }
  return [];
}

/** The real catalogue, as the built CLI has it (this file's own import of it is mocked). */
async function realCatalogue(): Promise<{ RULES: readonly Rule<never>[]; loadConfig: typeof loadConfig }> {
  const rules = (await import(pathToFileURL(join(ROOT, 'dist/lint/rules/index.js')).href)) as { RULES: readonly Rule<never>[] };
  const config = (await import(pathToFileURL(join(ROOT, 'dist/lint/config.js')).href)) as { loadConfig: typeof loadConfig };
  return { RULES: rules.RULES, loadConfig: config.loadConfig };
}

describe('presets', () => {
  it('recommended (the default, with no config file) takes each rule at its recommended level', async () => {
    const config = await loadConfig(null);
    expect(config.file).toBeNull();
    expect(levels(config.rules)).toEqual({ 'style/lowercase-names': 'warn', 'regularization/no-dropout': 'warn' });
    for (const rule of TEST_RULES) expect(presetLevel(rule, 'recommended')).toBe(rule.meta.recommended);
  });

  it('strict turns every rule on, as an error, with its default options', async () => {
    const dir = tree(tmp(), { 'nnspec.config.json': '{ "extends": "strict" }' });
    const config = await loadConfig(join(dir, 'nnspec.config.json'));
    expect(levels(config.rules)).toEqual(Object.fromEntries(TEST_RULES.map((r) => [r.meta.id, 'error'])));
    expect(config.rules.get('graph/max-layers')!.options).toEqual({ max: 100, ignore: [] });
    for (const rule of TEST_RULES) expect(presetLevel(rule, 'strict')).toBe('error');
  });

  it('strict and recommended, end to end: levels, and a superseded check diagnostic', async () => {
    const dir = tree(tmp(), { 'net.prototxt': NET });
    const file = join(dir, 'net.prototxt');
    const recommended = await lintInProcess([file]);
    expect(recommended.status).toBe(0);
    expect(problems(recommended).map((p) => `${p.code} ${p.severity}`)).toEqual(['style/lowercase-names warning', 'regularization/no-dropout warning', 'caffe/python-layer warning']);
    writeFileSync(join(dir, 'nnspec.config.json'), '{ "extends": "strict" }');
    const strict = await lintInProcess([file]);
    expect(strict.status).toBe(1);
    // portability/python-layer is on, so check's caffe/python-layer (which it supersedes) goes.
    expect(problems(strict).map((p) => `${p.code} ${p.severity}`)).toEqual(['style/lowercase-names error', 'regularization/no-dropout error', 'portability/python-layer error']);
  });

  it('strict turns every rule of the real catalogue on as an error', async () => {
    const real = await realCatalogue();
    const dir = tree(tmp(), { 'nnspec.config.json': '{ "extends": "strict" }' });
    const config = await real.loadConfig(join(dir, 'nnspec.config.json'));
    expect([...config.rules.keys()]).toEqual(real.RULES.map((r) => r.meta.id));
    for (const s of config.rules.values()) expect(s.level).toBe('error');
    const recommended = await real.loadConfig(null);
    expect([...recommended.rules.keys()]).toEqual(real.RULES.filter((r) => r.meta.recommended !== 'off').map((r) => r.meta.id));
  });
});

describe('rule settings', () => {
  it('sets rules off, warn or error, and [level, options] with the defaults filled in', async () => {
    const dir = tree(tmp(), {
      'nnspec.config.json': JSON.stringify({
        rules: { 'style/lowercase-names': 'off', 'regularization/no-dropout': 'error', 'graph/max-layers': ['warn', { max: 2 }], 'portability/python-layer': ['warn'] },
      }),
      'net.prototxt': NET,
    });
    const config = await loadConfig(join(dir, 'nnspec.config.json'));
    expect(levels(config.rules)).toEqual({ 'regularization/no-dropout': 'error', 'graph/max-layers': 'warn', 'portability/python-layer': 'warn' });
    expect(config.rules.get('graph/max-layers')!.options).toEqual({ max: 2, ignore: [] });
    const run = await lintInProcess([join(dir, 'net.prototxt')]);
    expect(run.status).toBe(1);
    expect(problems(run).map((p) => `${p.code} ${p.severity} ${p.message}`)).toEqual([
      // At the first layer counted: the input.
      'graph/max-layers warning 4 layers, more than 2',
      "regularization/no-dropout error 'drop' is a dropout layer",
      "portability/python-layer warning 'py' is a Python layer (target none)",
    ]);
  });

  it('passes options through to the rule', async () => {
    const dir = tree(tmp(), { 'nnspec.config.json': JSON.stringify({ rules: { 'graph/max-layers': ['error', { max: 3, ignore: ['data'] }] } }), 'net.prototxt': NET });
    // Four layers, one ignored: three, which is not more than 3.
    expect(codes(await lintInProcess([join(dir, 'net.prototxt')]))).not.toContain('graph/max-layers@4');
    writeFileSync(join(dir, 'nnspec.config.json'), JSON.stringify({ rules: { 'graph/max-layers': ['error', { max: 3 }] } }));
    expect(problems(await lintInProcess([join(dir, 'net.prototxt')])).find((p) => p.code === 'graph/max-layers')?.message).toBe('4 layers, more than 3');
  });

  it('accepts comments, trailing commas and "$schema"', async () => {
    const path = join(tree(tmp(), { 'nnspec.config.json': '{\n  // editors validate with it\n  "$schema": "../schema/lint-config.schema.json",\n  "extends": "recommended",\n  "target": "tfjs",\n  "rules": { "style/lowercase-names": "off", },\n}\n' }), 'nnspec.config.json');
    const config = await loadConfig(path);
    expect(config.target).toBe('tfjs');
    expect(config.rules.has('style/lowercase-names')).toBe(false);
  });

  it('reports option values that do not fit the schema at the value, in the config file', async () => {
    const text = '{\n  "rules": {\n    "graph/max-layers": ["warn", { "max": 0, "ignore": ["a", 3] }]\n  }\n}\n';
    expect(await configError(text)).toEqual([
      { code: 'config/invalid-options', at: at(text, '0'), message: "option 'max' of graph/max-layers must be >= 1" },
      { code: 'config/invalid-options', at: at(text, '3'), message: "option 'ignore.1' of graph/max-layers must be string" },
    ]);
  });

  it('reports an unknown option at its name, with a did-you-mean', async () => {
    const text = '{ "rules": {\n  "graph/max-layers": ["warn", { "maxx": 5 }],\n  "style/lowercase-names": ["warn", { "x": 1 }] } }';
    expect(await configError(text)).toEqual([
      { code: 'config/invalid-options', at: at(text, '"maxx"'), message: "graph/max-layers has no option 'maxx' (its options: 'max', 'ignore')", hint: "did you mean 'max'?" },
      { code: 'config/invalid-options', at: at(text, '"x"'), message: "style/lowercase-names has no option 'x' (it takes no options)" },
    ]);
  });

  it('validates the options of a rule set to "off" too', async () => {
    expect((await configError('{ "rules": { "graph/max-layers": ["off", { "max": "many" }] } }')).map((d) => d.message)).toEqual(["option 'max' of graph/max-layers must be integer"]);
  });

  it('reports an unknown rule id at the id, with a did-you-mean', async () => {
    const text = '{\n  "rules": {\n    "style/lowercase-name": "warn"\n  }\n}';
    expect(await configError(text)).toEqual([{ code: 'config/unknown-rule', at: '3:5', message: "there is no rule 'style/lowercase-name'", hint: "did you mean 'style/lowercase-names'?" }]);
  });

  it('reports malformed settings, unknown keys, presets and targets', async () => {
    const text = '{\n "extend": "strict",\n "extends": "strickt",\n "target": "onnx",\n "rules": { "style/lowercase-names": "on", "graph/max-layers": ["warn", 3], "init/throws": [] }\n}';
    expect(await configError(text)).toEqual([
      { code: 'config/unknown-key', at: '2:2', message: 'nnspec.config.json has no setting "extend"', hint: "did you mean 'extends'?" },
      { code: 'config/invalid', at: at(text, '"strickt"'), message: '"extends" must be one of "recommended", "strict"', hint: "did you mean 'strict'?" },
      { code: 'config/invalid', at: at(text, '"onnx"'), message: '"target" must be one of "pytorch", "caffe", "tfjs"' },
      { code: 'config/invalid', at: at(text, '"on"'), message: `rule 'style/lowercase-names' must be "off", "warn", "error" or [level, options]` },
      { code: 'config/invalid', at: at(text, '["warn", 3]'), message: "rule 'graph/max-layers': the array form is [level, { options }]" },
      { code: 'config/invalid', at: at(text, '[]'), message: `rule 'init/throws' must be "off", "warn", "error" or [level, options]` },
    ]);
    expect(await configError('[1, 2]')).toEqual([{ code: 'config/invalid', at: '1:1', message: 'nnspec.config.json must hold an object' }]);
  });

  it('reports invalid JSON where the parser stopped', async () => {
    const text = '{\n  "rules": {\n    "style/lowercase-names": "warn"\n    "graph/max-layers": "error"\n  }\n}\n';
    const errors = await configError(text);
    expect(errors[0]).toMatchObject({ code: 'config/syntax', at: '4:5', message: 'nnspec.config.json is not valid JSON: CommaExpected' });
  });

  it('exits 2 on a configuration error, printing its diagnostics (and no lint output)', async () => {
    const text = '{ "rules": { "graph/max-layers": ["warn", { "max": -1 }] } }';
    const dir = tree(tmp(), { 'nnspec.config.json': text, 'net.prototxt': CLEAN });
    const run = await lintInProcess([join(dir, 'net.prototxt')], { format: 'stylish' });
    expect(run.status).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(`${join(dir, 'nnspec.config.json')}:${at(text, '-1')}  error  option 'max' of graph/max-layers must be >= 1  [config/invalid-options]`);
    expect(run.stderr).toMatch(/nnspec: the lint configuration has errors\n$/);
  });
});

describe('config discovery', () => {
  it('finds the nearest nnspec.config.json at or above a directory', () => {
    const dir = tree(tmp(), { 'nnspec.config.json': '{}', 'a/nnspec.config.json': '{}', 'a/b/c/x.prototxt': CLEAN, 'd/x.prototxt': CLEAN });
    expect(findConfig(join(dir, 'a/b/c'))).toBe(join(dir, 'a/nnspec.config.json'));
    expect(findConfig(join(dir, 'a'))).toBe(join(dir, 'a/nnspec.config.json'));
    expect(findConfig(join(dir, 'd'))).toBe(join(dir, 'nnspec.config.json'));
  });

  it('gives each linted file the configuration nearest to it; --config gives all of them one', async () => {
    const dir = tree(tmp(), {
      'nnspec.config.json': '{ "extends": "strict" }',
      'top.prototxt': NET,
      'relaxed/nnspec.config.json': '{ "rules": { "regularization/no-dropout": "off" } }',
      'relaxed/deeper/net.prototxt': NET,
      'other.json': '{ "rules": { "style/lowercase-names": "off", "regularization/no-dropout": "off" } }',
    });
    const run = await lintInProcess([join(dir, 'top.prototxt'), join(dir, 'relaxed/deeper/net.prototxt')]);
    const byFile = (r: typeof run, f: string) => problems(r).filter((p) => p.file === join(dir, f)).map((p) => `${p.code} ${p.severity}`);
    // The top file: strict (every rule an error). The deeper file: its nearer config (recommended, no-dropout off).
    expect(byFile(run, 'top.prototxt')).toEqual(['style/lowercase-names error', 'regularization/no-dropout error', 'portability/python-layer error']);
    expect(byFile(run, 'relaxed/deeper/net.prototxt')).toEqual(['style/lowercase-names warning', 'caffe/python-layer warning']);
    const given = await lintInProcess([join(dir, 'top.prototxt'), join(dir, 'relaxed/deeper/net.prototxt')], { config: join(dir, 'other.json') });
    expect(byFile(given, 'top.prototxt')).toEqual(['caffe/python-layer warning']);
    expect(byFile(given, 'relaxed/deeper/net.prototxt')).toEqual(['caffe/python-layer warning']);
  });
});

describe('--rule and --target', () => {
  it('--rule sets a level over the config (later ones win) and keeps the config\'s options', async () => {
    const dir = tree(tmp(), { 'nnspec.config.json': JSON.stringify({ rules: { 'graph/max-layers': ['off', { max: 1 }], 'style/lowercase-names': 'error' } }), 'net.prototxt': NET });
    const run = await lintInProcess([join(dir, 'net.prototxt')], { rule: ['graph/max-layers:error', 'style/lowercase-names:off', 'regularization/no-dropout:warn', 'regularization/no-dropout:off'] });
    expect(problems(run).map((p) => `${p.code} ${p.severity} ${p.message}`)).toEqual(['graph/max-layers error 4 layers, more than 1', "caffe/python-layer warning layer 'py' is a Python layer (m.L): it runs code nnspec cannot see, so it is kept opaque and later passes stop at its outputs"]);
  });

  it('--rule with an unknown id or level is a usage error, with a did-you-mean', async () => {
    expect(parseRuleFlag('style/lowercase-name:warn')).toEqual({ error: "--rule: there is no rule 'style/lowercase-name' (did you mean 'style/lowercase-names'?)" });
    expect(parseRuleFlag('style/lowercase-names:on')).toEqual({ error: "--rule expects RULE:off|warn|error, got 'style/lowercase-names:on'" });
    expect(parseRuleFlag('style/lowercase-names')).toEqual({ error: "--rule expects RULE:off|warn|error, got 'style/lowercase-names'" });
    const file = join(tree(tmp(), { 'net.prototxt': NET }), 'net.prototxt');
    const run = await lintInProcess([file], { rule: ['style/lowercase-name:warn'] });
    expect(run.status).toBe(2);
    expect(run.stderr).toBe("nnspec: --rule: there is no rule 'style/lowercase-name' (did you mean 'style/lowercase-names'?)\n");
  });

  it('--target overrides the config\'s target', async () => {
    const dir = tree(tmp(), { 'nnspec.config.json': '{ "target": "tfjs", "rules": { "portability/python-layer": "warn" } }', 'net.prototxt': ONE_WARNING });
    const message = async (flags = {}) => problems(await lintInProcess([join(dir, 'net.prototxt')], flags))[0]!.message;
    expect(await message()).toBe("'py' is a Python layer (target tfjs)");
    expect(await message({ target: 'pytorch' })).toBe("'py' is a Python layer (target pytorch)");
  });
});

const REAL = await realCatalogue();

describe('nnspec lint (the built CLI) and configuration files', () => {

  it('uses the nearest config: a broken one further up is never read', () => {
    const dir = tree(tmp(), { 'nnspec.config.json': '{ broken', 'ok/nnspec.config.json': quiet({ extends: 'recommended' }), 'ok/net.prototxt': ONE_WARNING, 'top.prototxt': ONE_WARNING });
    const near = cli(['lint', '--format', 'json', 'ok/net.prototxt'], { cwd: dir });
    expect(near.status).toBe(0);
    expect(problems(near).map((p) => p.code)).toEqual(['caffe/python-layer']);
    const far = cli(['lint', 'top.prototxt'], { cwd: dir });
    expect(far.status).toBe(2);
    expect(far.stdout).toBe('');
    expect(far.stderr.startsWith(`${join(dir, 'nnspec.config.json')}:1:3  error`)).toBe(true);
    expect(far.stderr).toMatch(/:1:3 {2}error {2}nnspec\.config\.json is not valid JSON: \w+ {2}\[config\/syntax\]/);
    // --config replaces discovery.
    expect(cli(['lint', '--config', 'ok/nnspec.config.json', 'top.prototxt'], { cwd: dir }).status).toBe(0);
    expect(cli(['lint', '--config', 'nnspec.config.json', 'ok/net.prototxt'], { cwd: dir }).status).toBe(2);
  });

  it('exits 2 once, without a stack trace, when --config names a missing file', () => {
    const dir = tree(tmp(), { 'a.prototxt': CLEAN, 'b.prototxt': CLEAN });
    const r = cli(['lint', '--config', 'missing.json', 'a.prototxt', 'b.prototxt'], { cwd: dir });
    expect(r.status).toBe(2);
    expect(r.stderr).toBe("nnspec: cannot read the configuration 'missing.json': no such file or directory\n");
  });

  it('points at invalid JSON in the config file', () => {
    const dir = tree(tmp(), { 'nnspec.config.json': '{\n  "extends": "strict",\n  "rules": {,}\n}\n', 'net.prototxt': CLEAN });
    const r = cli(['lint', 'net.prototxt'], { cwd: dir });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('nnspec.config.json:3:13  error  nnspec.config.json is not valid JSON: ValueExpected  [config/syntax]');
    expect(r.stderr).toContain('> 3 |   "rules": {,}');
    expect(r.stderr).not.toMatch(STACK_TRACE);
  });

  it.skipIf(REAL.RULES.length === 0)('points at a bad option of a real rule, and says which rule id was meant', () => {
    const id = REAL.RULES[0]!.meta.id;
    const text = `{\n  "rules": {\n    "${id}": ["warn", { "no_such_option": 1 }]\n  }\n}\n`;
    const dir = tree(tmp(), { 'nnspec.config.json': text, 'net.prototxt': CLEAN });
    const bad = cli(['lint', 'net.prototxt'], { cwd: dir });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain(`nnspec.config.json:${at(text, '"no_such_option"')}  error  ${id} has no option 'no_such_option'`);
    expect(bad.stderr).toContain('[config/invalid-options]');
    const typo = `${id.slice(0, -1)}`;
    writeFileSync(join(dir, 'nnspec.config.json'), `{ "rules": { "${typo}": "warn" } }`);
    const unknown = cli(['lint', 'net.prototxt'], { cwd: dir });
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain(`nnspec.config.json:1:14  error  there is no rule '${typo}'  [config/unknown-rule]`);
    expect(unknown.stderr).toContain(`hint: did you mean '${id}'?`);
    // The same typo on the command line.
    const flag = cli(['lint', '--rule', `${typo}:off`, 'net.prototxt'], { cwd: tree(tmp(), { 'net.prototxt': CLEAN }) });
    expect(flag.status).toBe(2);
    expect(flag.stderr).toBe(`nnspec: --rule: there is no rule '${typo}' (did you mean '${id}'?)\n`);
  });

  it('rejects --rule with an unknown id whatever the catalogue, and an unknown --target', () => {
    const dir = tree(tmp(), { 'net.prototxt': CLEAN });
    const r = cli(['lint', '--rule', 'nosuch/rule:warn', 'net.prototxt'], { cwd: dir });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^nnspec: --rule: there is no rule 'nosuch\/rule'/);
    const t = cli(['lint', '--target', 'onnx', 'net.prototxt'], { cwd: dir });
    expect(t.status).toBe(2);
    expect(t.stderr).toMatch(/--target/);
    expect(existsSync(join(dir, 'nnspec.config.json'))).toBe(false);
  });
});
