/**
 * The command line as CI systems use it: exit codes (0 clean, 1 problems, 2 usage or I/O),
 * machine-readable output, atomic writes, no stack traces, and a fast start.
 */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateIr } from '../../src/ir/validate.js';
import { cli, ROOT } from '../helpers.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'nnspec-cli-'));

describe('nnspec check', () => {
  it('exits 0 on clean files and prints a summary', () => {
    const r = cli(['check', 'specs/lenet.nnspec']);
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe('✔ 0 errors, 0 warnings in 1 file');
  });

  it('exits 1 when there are errors, 0 when there are only warnings', () => {
    expect(cli(['check', 'tests/fixtures/broken/caffe-semantics.prototxt']).status).toBe(1);
    const empty = cli(['check', 'tests/fixtures/broken/empty.prototxt']);
    expect(empty.status).toBe(0);
    expect(cli(['check', '--max-warnings', '0', 'tests/fixtures/broken/empty.prototxt']).status).toBe(1);
  });

  it('exits 2 for unreadable files and bad usage, without a stack trace', () => {
    for (const args of [['check', 'no/such/file.prototxt'], ['check'], ['check', '--format', 'xml', 'specs/lenet.nnspec'], ['frobnicate'], []]) {
      const r = cli(args);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
    expect(cli(['check', 'no/such/file.prototxt']).stderr).toBe("nnspec: cannot read 'no/such/file.prototxt': no such file or directory\n");
  });

  it('checks every model file in a directory', () => {
    const r = cli(['check', '--format', 'json', 'tests/fixtures/broken']);
    expect(r.status).toBe(1);
    const files = new Set((JSON.parse(r.stdout) as { file: string }[]).map((d) => d.file));
    expect(files.has('tests/fixtures/broken/nnspec-errors.nnspec')).toBe(true);
    expect(files.has('tests/fixtures/broken/syntax-errors.prototxt')).toBe(true);
  });

  it('never prints a stack trace, whatever the input', () => {
    const dir = tmp();
    const inputs: Record<string, string | Buffer> = {
      'garbage.prototxt': Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 7919) % 256)),
      'deep.prototxt': `${'a { '.repeat(10_000)}${'} '.repeat(10_000)}`,
      'deep.nnspec': `x: ${'('.repeat(5000)}1${')'.repeat(5000)}`,
      'quotes.nnspec': '"'.repeat(1000),
    };
    for (const [name, content] of Object.entries(inputs)) {
      writeFileSync(join(dir, name), content);
      const r = cli(['check', join(dir, name)]);
      expect(r.status, name).toBe(1);
      expect(r.stderr, name).toBe('');
    }
  });

  it('does not load TensorFlow.js, chevrotain, TypeBox or ajv to check a well-formed file', () => {
    const log = join(tmp(), 'imports.txt');
    const r = cli(['check', 'specs/torchvision/resnet18.nnspec'], { env: { NODE_OPTIONS: `--import ${join(ROOT, 'tests/cli/trace-imports.mjs')}`, NNSPEC_TRACE_IMPORTS: log } });
    expect(r.status).toBe(0);
    const loaded = readFileSync(log, 'utf8');
    expect(loaded).toContain('dist/cli/check.js');
    for (const heavy of ['@tensorflow', '/chevrotain/', '@sinclair/typebox', '/ajv/']) expect(loaded, heavy).not.toContain(heavy);
  });
});

describe('nnspec compile --emit ir', () => {
  it('prints schema-valid IR', async () => {
    const r = cli(['compile', 'specs/torchvision/resnet18.nnspec']);
    expect(r.status).toBe(0);
    const doc = JSON.parse(r.stdout) as { graph: { nodes: { name: string }[] } };
    expect(validateIr(doc)).toEqual([]);
    expect(doc.graph.nodes.map((n) => n.name)).toContain('layer4.1.bn2');
  });

  it('prints nothing but the diagnostics when the input has errors', () => {
    const r = cli(['compile', 'tests/fixtures/broken/nnspec-errors.nnspec']);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/no IR written/);
  });

  it('writes -o atomically and leaves no temporary files', () => {
    const dir = tmp();
    const out = join(dir, 'ir.json');
    writeFileSync(out, 'previous');
    expect(cli(['compile', 'specs/lenet.nnspec', '-o', out]).status).toBe(0);
    expect(JSON.parse(readFileSync(out, 'utf8'))).toMatchObject({ dialect: 'nnspec' });
    expect(readdirSync(dir)).toEqual(['ir.json']);
    // A failed compile leaves the previous file as it was.
    writeFileSync(out, 'previous');
    expect(cli(['compile', 'tests/fixtures/broken/nnspec-errors.nnspec', '-o', out]).status).toBe(1);
    expect(readFileSync(out, 'utf8')).toBe('previous');
    const missing = cli(['compile', 'specs/lenet.nnspec', '-o', join(dir, 'no/such/dir/ir.json')]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/^nnspec: cannot write/);
    expect(existsSync(join(dir, 'no'))).toBe(false);
  });

  it('binds the phase a Caffe train/val net is asked for', () => {
    const file = join(tmp(), 'tv.prototxt');
    writeFileSync(file, 'input: "x" input_shape { dim: 1 }\nlayer { name: "a" type: "ReLU" bottom: "x" top: "a" include { phase: TRAIN } }\n');
    const names = (phase: string) => (JSON.parse(cli(['compile', '--phase', phase, file]).stdout) as { graph: { nodes: { name: string }[] } }).graph.nodes.map((n) => n.name);
    expect(names('train')).toEqual(['input', 'a']);
    expect(names('TEST')).toEqual(['input']);
  });
});
