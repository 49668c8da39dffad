/**
 * Output formats of `nnspec lint`: json (the check's JSON contract), github (workflow commands,
 * with the runner's escaping), sarif (valid SARIF 2.1.0 against the official schema, every
 * result resolving to a rule with help text). Through the built CLI on check diagnostics (which
 * do not change as rules are added), and in-process against the test catalogue for rule results.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../src/lint/config.js';
import { escapeData, escapeProperty, formatGithub } from '../../src/lint/formatters/github.js';
import { anchor, DOCS, formatSarif } from '../../src/lint/formatters/sarif.js';
import { lintFile } from '../../src/lint/lint.js';
import { cli, ROOT } from '../helpers.js';
import { problems } from './lint-runner.js';
import { HEAD, ONE_ERROR, ONE_WARNING, PYTHON, quietTmp, RELU, TEST_RULES, tmp, tree } from './tooling-kit.js';

vi.mock('../../src/lint/rules/index.js', async () => (await import('./tooling-kit.js')).testCatalogue());

/** Three kinds of check diagnostic: a warning with a hint, a note, and a warning whose message holds %, CR and LF. */
const ODD = `${HEAD}layer { name: "x" type: "Convolutoin" bottom: "data" top: "x" }\nlayer { name: "y" type: "a%b\\r\\nc" bottom: "data" top: "y" }\nlayer { name: "r" type: "ReLU" bottom: "y" top: "r" }\n`;

interface SarifLog {
  runs: {
    tool: { driver: { rules: { id: string; helpUri?: string; help?: { text: string; markdown?: string }; shortDescription?: { text: string }; properties?: Record<string, unknown> }[] } };
    results: { ruleId: string; ruleIndex: number; level: string; message: { text: string }; locations: { physicalLocation: { artifactLocation: { uri: string; uriBaseId?: string }; region: Record<string, number> } }[] }[];
  }[];
}

/** The official SARIF 2.1.0 schema (draft-04 by its header; its keywords are draft-07's too), compiled with ajv. */
async function sarifValidator() {
  const { Ajv } = await import('ajv');
  const { default: addFormats } = await import('ajv-formats');
  const schema = JSON.parse(readFileSync(join(ROOT, 'node_modules/@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json'), 'utf8')) as Record<string, unknown>;
  delete schema.$schema;
  schema.$id = schema.id;
  delete schema.id;
  // unicodeRegExp off: the schema's language pattern (`^[a-zA-Z]{2}|…]?$`) is not valid with the u flag.
  const ajv = new Ajv({ strict: false, allErrors: true, unicodeRegExp: false });
  (addFormats as unknown as (a: InstanceType<typeof Ajv>) => void)(ajv);
  return ajv.compile(schema);
}

function checkSarif(doc: SarifLog, validate: Awaited<ReturnType<typeof sarifValidator>>): void {
  expect(validate(doc), JSON.stringify(validate.errors?.slice(0, 5), null, 2)).toBe(true);
  const run = doc.runs[0]!;
  const rules = run.tool.driver.rules;
  expect(new Set(rules.map((r) => r.id)).size).toBe(rules.length);
  for (const rule of rules) {
    expect(rule.help?.text, rule.id).toBeTruthy();
    expect(rule.shortDescription?.text, rule.id).toBeTruthy();
  }
  for (const result of run.results) {
    expect(rules[result.ruleIndex]?.id, `${result.ruleId} at index ${result.ruleIndex}`).toBe(result.ruleId);
  }
}

describe('--format json', () => {
  it('prints [{file, line, column, endLine, endColumn, severity, code, message, hint?}]', () => {
    const dir = tree(quietTmp(), { 'odd.prototxt': ODD });
    const r = cli(['lint', '--format', 'json', 'odd.prototxt'], { cwd: dir });
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
    const list = problems(r);
    expect(list[0]).toEqual({
      file: 'odd.prototxt',
      line: 3,
      column: 25,
      endLine: 3,
      endColumn: 38,
      severity: 'warning',
      code: 'caffe/unknown-layer-type',
      message: "'Convolutoin' is not a BVLC Caffe layer type; layer 'x' is kept as an opaque node and later passes cannot see through it",
      hint: "did you mean 'Convolution'?",
    });
    for (const p of list) {
      expect(Object.keys(p)).toEqual(['file', 'line', 'column', 'endLine', 'endColumn', 'severity', 'code', 'message', ...(p.hint ? ['hint'] : [])]);
      expect(['error', 'warning', 'note']).toContain(p.severity);
    }
    expect(list.map((p) => `${p.code} ${p.severity}`)).toEqual(['caffe/unknown-layer-type warning', 'shape/unknown note', 'caffe/unknown-layer-type warning']);
  });

  it('prints the same diagnostics as nnspec check --format json when no rule reports', () => {
    const dir = tree(tmp(), { 'odd.prototxt': ODD, 'err.prototxt': ONE_ERROR, 'nnspec.config.json': '{ "rules": {} }' });
    const count = (s: string) => (JSON.parse(s) as object[]).length;
    const lint = cli(['lint', '--format', 'json', 'odd.prototxt', 'err.prototxt'], { cwd: dir });
    const check = cli(['check', '--format', 'json', 'odd.prototxt', 'err.prototxt'], { cwd: dir });
    expect(lint.status).toBe(1);
    expect(check.status).toBe(1);
    // Lint may add rule findings; every check diagnostic is there, unchanged.
    const lintList = problems(lint);
    for (const d of problems(check)) expect(lintList).toContainEqual(d);
    expect(count(lint.stdout)).toBeGreaterThanOrEqual(count(check.stdout));
  });

  it('prints [] for a clean file', () => {
    const dir = tree(quietTmp(), { 'c.prototxt': `${HEAD}${RELU('relu')}\n` });
    const r = cli(['lint', '--format', 'json', 'c.prototxt'], { cwd: dir });
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('[]\n');
  });
});

describe('--format github', () => {
  it('prints one workflow command per problem', () => {
    const dir = tree(quietTmp(), { 'net.prototxt': ONE_WARNING, 'err.prototxt': ONE_ERROR });
    const r = cli(['lint', '--format', 'github', 'net.prototxt', 'err.prototxt'], { cwd: dir });
    expect(r.status).toBe(1);
    expect(r.stdout).toBe(
      [
        "::warning file=net.prototxt,line=3,col=26,endLine=3,endColumn=34,title=nnspec caffe/python-layer::layer 'py' is a Python layer (m.L): it runs code nnspec cannot see, so it is kept opaque and later passes stop at its outputs",
        // ':' and ',' stay as they are in the message (only the properties escape them).
        "::error file=err.prototxt,line=5,col=1,endLine=5,endColumn=68,title=nnspec shape/mismatch::'c' (concat): Concat along axis 1 (channels) needs every other axis to agree, but they differ on axis 2 (height): 'a' is 1×4×6×6, 'b' is 1×4×8×8",
        '',
      ].join('\n'),
    );
  });

  it('escapes %, CR and LF in the message, and also : and , in the properties', () => {
    const dir = tree(quietTmp(), { 'we%ird,na:me/odd.prototxt': ODD });
    const r = cli(['lint', '--format', 'github', 'we%ird,na:me/odd.prototxt'], { cwd: dir });
    expect(r.status).toBe(0);
    const file = 'file=we%25ird%2Cna%3Ame/odd.prototxt';
    expect(r.stdout).toBe(
      [
        `::warning ${file},line=3,col=25,endLine=3,endColumn=38,title=nnspec caffe/unknown-layer-type::'Convolutoin' is not a BVLC Caffe layer type; layer 'x' is kept as an opaque node and later passes cannot see through it (did you mean 'Convolution'?)`,
        `::notice ${file},line=4,col=1,endLine=4,endColumn=61,title=nnspec shape/unknown::shapes stop at 'y': Caffe layer type 'a%25b%0D%0Ac' is opaque to nnspec, so its output shapes are unknown; 1 later layer has no shape`,
        `::warning ${file},line=4,col=25,endLine=4,endColumn=35,title=nnspec caffe/unknown-layer-type::'a%25b%0D%0Ac' is not a BVLC Caffe layer type; layer 'y' is kept as an opaque node and later passes cannot see through it`,
        '',
      ].join('\n'),
    );
  });

  it('escapes as the Actions runner does', () => {
    expect(escapeData('50% done\r\nnext: a, b')).toBe('50%25 done%0D%0Anext: a, b');
    expect(escapeProperty('a:b,c%d\ne')).toBe('a%3Ab%2Cc%25d%0Ae');
    // %25 first: an escape is never escaped again.
    expect(escapeData('%0A')).toBe('%250A');
  });

  it('prints nothing for a clean file', () => {
    expect(formatGithub([])).toBe('');
    const dir = tree(quietTmp(), { 'c.prototxt': `${HEAD}${RELU('relu')}\n` });
    expect(cli(['lint', '--format', 'github', 'c.prototxt'], { cwd: dir }).stdout).toBe('');
  });
});

describe('--format sarif', () => {
  it('is valid SARIF 2.1.0, every result resolving to a rule with help text', async () => {
    const validate = await sarifValidator();
    const dir = tree(quietTmp(), { 'odd.prototxt': ODD, 'err.prototxt': ONE_ERROR, 'clean.prototxt': `${HEAD}${RELU('relu')}\n` });
    const r = cli(['lint', '--format', 'sarif', 'odd.prototxt', 'err.prototxt', 'clean.prototxt'], { cwd: dir });
    expect(r.status).toBe(1);
    expect(r.stderr).toBe('');
    const doc = JSON.parse(r.stdout) as SarifLog & { version: string };
    expect(doc.version).toBe('2.1.0');
    checkSarif(doc, validate);
    const run = doc.runs[0]!;
    // Every rule of the real catalogue is listed, with its documentation link.
    const real = (await import(pathToFileURL(join(ROOT, 'dist/lint/rules/index.js')).href)) as { RULES: { meta: { id: string } }[] };
    for (const rule of real.RULES) expect(run.tool.driver.rules.find((d) => d.id === rule.meta.id)?.helpUri).toBe(`${DOCS}#${anchor(rule.meta.id)}`);
    // The check diagnostics, with their files relative to the source root.
    expect(run.results.map((x) => `${x.ruleId} ${x.level} ${x.locations[0]!.physicalLocation.artifactLocation.uri}:${x.locations[0]!.physicalLocation.region.startLine}`)).toEqual(
      expect.arrayContaining(['caffe/unknown-layer-type warning odd.prototxt:3', 'shape/unknown note odd.prototxt:4', 'caffe/unknown-layer-type warning odd.prototxt:4']),
    );
    expect(run.results.find((x) => x.locations[0]!.physicalLocation.artifactLocation.uri === 'err.prototxt')?.level).toBe('error');
    for (const x of run.results) expect(x.locations[0]!.physicalLocation.artifactLocation.uriBaseId).toBe('%SRCROOT%');
    expect(run.results[0]!.message.text).toBe("'Convolutoin' is not a BVLC Caffe layer type; layer 'x' is kept as an opaque node and later passes cannot see through it (did you mean 'Convolution'?)");
    expect(run.results[0]!.locations[0]!.physicalLocation.region).toEqual({ startLine: 3, startColumn: 25, endLine: 3, endColumn: 38 });
  });

  it('gives a file outside the working directory as a file: URI', async () => {
    const validate = await sarifValidator();
    const dir = tree(quietTmp(), { 'net.prototxt': ONE_WARNING });
    const r = cli(['lint', '--format', 'sarif', join(dir, 'net.prototxt')], { cwd: ROOT });
    const doc = JSON.parse(r.stdout) as SarifLog;
    checkSarif(doc, validate);
    expect(doc.runs[0]!.results[0]!.locations[0]!.physicalLocation.artifactLocation).toEqual({ uri: pathToFileURL(join(dir, 'net.prototxt')).href });
  });

  it('describes rules and their results (test catalogue)', async () => {
    const validate = await sarifValidator();
    const dir = tree(tmp(), { 'net.prototxt': `${HEAD}${RELU('Relu')}\n${PYTHON()}\n# nnspec-disable-next-line caffe/unknown-layer-type\n` });
    const config = await loadConfig(null, { rules: [{ id: 'portability/python-layer', level: 'error' }] });
    const doc = formatSarif([await lintFile(join(dir, 'net.prototxt'), config)], dir) as unknown as SarifLog;
    checkSarif(doc, validate);
    const run = doc.runs[0]!;
    expect(run.tool.driver.rules.slice(0, TEST_RULES.length).map((r) => r.id)).toEqual(TEST_RULES.map((r) => r.meta.id));
    const lower = run.tool.driver.rules[0]!;
    expect(lower).toMatchObject({
      id: 'style/lowercase-names',
      shortDescription: { text: 'Layer names are lower case.' },
      help: { text: 'A test rule: it finds capitals in layer names and lowercases them.\n\n- PEP 8: https://peps.python.org/pep-0008/' },
      helpUri: `${DOCS}#stylelowercase-names`,
      properties: { category: 'style', fixable: true },
    });
    expect(run.results.map((x) => `${x.ruleId} ${x.level}`)).toEqual(['style/lowercase-names warning', 'portability/python-layer error', 'lint/unused-suppression warning']);
  });
});
