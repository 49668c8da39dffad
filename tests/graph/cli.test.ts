/** `nnspec graph`: formats, -o written atomically, exit codes, and problems reported without stack traces. */
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, ROOT } from '../helpers.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'nnspec-graph-'));
const noStack = (stderr: string) => expect(stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);

describe('nnspec graph', () => {
  it('prints DOT by default', () => {
    const r = cli(['graph', 'specs/lenet.nnspec']);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^digraph net \{\n/);
    expect(r.stdout).toContain('label="conv1\\nconv 5×5, 20"');
  });

  it('--collapse draws block instances as one box', () => {
    const r = cli(['graph', 'specs/torchvision/resnet18.nnspec', '--collapse']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('label="layer1.0\\nBasicBlock, 7 layers"');
    expect(r.stdout).not.toContain('layer1.0.conv1');
  });

  it('--input-shape changes the shapes on the edges', () => {
    const r = cli(['graph', 'specs/lenet.nnspec', '--input-shape', 'data=2,1,32,32']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('label="2×20×28×28"');
  });

  it('writes SVG to -o atomically, leaving no temporary file and nothing on stdout', () => {
    const dir = tmp();
    const out = join(dir, 'lenet.svg');
    writeFileSync(out, 'old');
    const r = cli(['graph', 'specs/lenet.nnspec', '-f', 'svg', '-o', out]);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('');
    const svg = readFileSync(out, 'utf8');
    expect(svg).toContain('<svg');
    expect(svg.match(/<g id="n\d+" class="node">/g)).toHaveLength(8);
    expect(readdirSync(dir)).toEqual(['lenet.svg']);
  });

  it('writes a self-contained HTML page', () => {
    const r = cli(['graph', 'specs/lenet.nnspec', '-f', 'html']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^<!DOCTYPE html>/);
    expect(r.stdout).toContain('<table id="layers">');
    expect(r.stdout).not.toMatch(/https?:|\bsrc\s*=|<link\b|@import/i);
  });

  it('reports the file\'s errors as diagnostics, exits 1 and writes nothing', () => {
    const dir = tmp();
    const out = join(dir, 'x.dot');
    const r = cli(['graph', 'tests/fixtures/broken/nnspec-errors.nnspec', '-o', out]);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/nnspec-errors\.nnspec/);
    expect(r.stderr).toMatch(/error/);
    noStack(r.stderr);
    expect(existsSync(out)).toBe(false);
  });

  it('a syntax error is a diagnostic too', () => {
    const r = cli(['graph', 'tests/fixtures/broken/syntax-errors.prototxt']);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    noStack(r.stderr);
  });

  it('a solver (no network) is a usage error', () => {
    const r = cli(['graph', 'tests/graph/fixtures/solver.prototxt']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('describes no network to draw');
    noStack(r.stderr);
  });

  it('a missing file, an unwritable -o, a bad format or a bad --input-shape exits 2 with one line', () => {
    const missing = cli(['graph', 'no/such/file.nnspec']);
    expect(missing.status).toBe(2);
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
    expect(missing.stderr).toContain("cannot read 'no/such/file.nnspec'");

    const unwritable = cli(['graph', 'specs/lenet.nnspec', '-o', join(tmp(), 'no/such/dir/out.dot')]);
    expect(unwritable.status).toBe(2);
    expect(unwritable.stderr.trim().split('\n')).toHaveLength(1);
    expect(unwritable.stderr).toContain('cannot write');

    const format = cli(['graph', 'specs/lenet.nnspec', '-f', 'png']);
    expect(format.status).toBe(2);

    const shape = cli(['graph', 'specs/lenet.nnspec', '--input-shape', 'data=1,x-3']);
    expect(shape.status).toBe(2);
    expect(shape.stderr).toContain('--input-shape expects');
    for (const r of [missing, unwritable, format, shape]) noStack(r.stderr);
  });

  it('loads Graphviz only to draw SVG or HTML, and never for check, summary or lint', () => {
    const loads = (args: string[]) => {
      const log = join(tmp(), 'imports.txt');
      const r = cli(args, { env: { NODE_OPTIONS: `--import ${join(ROOT, 'tests/cli/trace-imports.mjs')}`, NNSPEC_TRACE_IMPORTS: log } });
      expect(r.status, `${args.join(' ')}: ${r.stderr}`).toBe(0);
      return readFileSync(log, 'utf8');
    };
    expect(loads(['graph', 'specs/lenet.nnspec'])).not.toContain('@viz-js');
    expect(loads(['graph', 'specs/lenet.nnspec', '-f', 'svg'])).toContain('@viz-js');
    for (const command of ['check', 'summary', 'lint']) expect(loads([command, 'specs/lenet.nnspec']), command).not.toContain('@viz-js');
  });
});
