/**
 * The command line as CI systems use it: exit codes (0 clean, 1 problems, 2 usage or I/O),
 * machine-readable output, atomic writes, no stack traces, and a fast start.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateIr } from '../../src/ir/validate.js';
import { cli, ROOT, STACK_TRACE } from '../helpers.js';

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
      expect(r.stderr).not.toMatch(STACK_TRACE);
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

  it('does not load TensorFlow.js, chevrotain, TypeBox or ajv to check or summarise a well-formed file', () => {
    for (const command of ['check', 'summary']) {
      const log = join(tmp(), 'imports.txt');
      const r = cli([command, 'specs/torchvision/resnet18.nnspec'], { env: { NODE_OPTIONS: `--import ${join(ROOT, 'tests/cli/trace-imports.mjs')}`, NNSPEC_TRACE_IMPORTS: log } });
      expect(r.status).toBe(0);
      const loaded = readFileSync(log, 'utf8');
      expect(loaded).toContain(`dist/cli/${command}.js`);
      for (const heavy of ['@tensorflow', '/chevrotain/', '@sinclair/typebox', '/ajv/']) expect(loaded, `${command}: ${heavy}`).not.toContain(heavy);
    }
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

describe('nnspec summary', () => {
  const summarySchema = async () => {
    const { Ajv } = await import('ajv');
    const ajv = new Ajv({ strict: true, allErrors: true });
    return ajv.compile(JSON.parse(readFileSync(join(ROOT, 'schema/summary.schema.json'), 'utf8')) as object);
  };

  it('prints a table with the totals, and the same numbers in every format', () => {
    const table = cli(['summary', 'specs/lenet.nnspec']);
    expect(table.status).toBe(0);
    const lines = table.stdout.split('\n');
    expect(lines.find((l) => l.startsWith('conv2 '))).toMatch(/^conv2\s+conv\s+N×50×8×8\s+25,050\s+1,600,000\s+14\s+2\s+0$/);
    expect(table.stdout).toContain('Params: 431,080 (trainable 431,080, non-trainable 0)');
    const md = cli(['summary', '-f', 'markdown', 'specs/lenet.nnspec']).stdout;
    expect(md).toContain('| conv2 | conv | N×50×8×8 | 25,050 | 1,600,000 | 14 | 2 | 0 |');
    const csv = cli(['summary', '-f', 'csv', 'specs/lenet.nnspec']).stdout.trim().split('\n');
    expect(csv[0]).toBe('layer,type,output_shapes,params,macs,rf_size,rf_stride,rf_padding');
    expect(csv).toContain('conv2,conv,N×50×8×8,25050,1600000,14,2,0');
    const json = JSON.parse(cli(['summary', '-f', 'json', 'specs/lenet.nnspec']).stdout) as { totals: { params: number; macs: number }; layers: { name: string; macs: number }[] };
    expect(json.totals.params).toBe(431_080);
    expect(json.layers.find((l) => l.name === 'conv2')!.macs).toBe(1_600_000);
  });

  it('prints JSON that matches schema/summary.schema.json for every shipped spec', async () => {
    const validate = await summarySchema();
    for (const spec of ['specs/lenet.nnspec', 'specs/torchvision/resnet18.nnspec', 'specs/googlenet.nnspec', 'specs/torchvision/mobilenet_v2.nnspec']) {
      const r = cli(['summary', '--format', 'json', spec]);
      expect(r.status, spec).toBe(0);
      const doc = JSON.parse(r.stdout) as unknown;
      expect(validate(doc), `${spec}: ${JSON.stringify(validate.errors?.slice(0, 3))}`).toBe(true);
    }
  });

  it('overrides an input shape, and rejects a malformed one with exit 2', () => {
    const r = cli(['summary', '-f', 'json', '--input-shape', 'data=2,1,32,32', 'specs/lenet.nnspec']);
    expect(r.status).toBe(0);
    const doc = JSON.parse(r.stdout) as { inputs: { shape: number[] }[]; layers: { name: string; outputs: { shape: number[] }[] }[] };
    expect(doc.inputs[0]!.shape).toEqual([2, 1, 32, 32]);
    // 32 − 5 + 1 = 28, pooled to 14, 14 − 5 + 1 = 10, pooled to 5.
    expect(doc.layers.find((l) => l.name === 'pool2')!.outputs[0]!.shape).toEqual([2, 50, 5, 5]);
    const bad = cli(['summary', '--input-shape', 'data=1,x-3', 'specs/lenet.nnspec']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/^nnspec: --input-shape expects NAME=D1,D2/);
    expect(bad.stderr).not.toMatch(STACK_TRACE);
  });

  it('exits 1 with the shape error on stderr, and keeps the summary parseable on stdout', () => {
    const file = join(tmp(), 'bad.prototxt');
    writeFileSync(
      file,
      'input: "x" input_shape { dim: 1 dim: 3 dim: 8 dim: 8 }\nlayer { name: "a" type: "Convolution" bottom: "x" top: "a" convolution_param { num_output: 4 kernel_size: 3 } }\nlayer { name: "b" type: "Convolution" bottom: "x" top: "b" convolution_param { num_output: 4 kernel_size: 1 } }\nlayer { name: "c" type: "Concat" bottom: "a" bottom: "b" top: "c" }\n',
    );
    const r = cli(['summary', '-f', 'json', file]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("'c' (concat): Concat along axis 1 (channels) needs every other axis to agree, but they differ on axis 2 (height): 'a' is 1×4×6×6, 'b' is 1×4×8×8");
    const doc = JSON.parse(r.stdout) as { layers: { name: string; outputs: { shape: unknown }[] }[] };
    expect(doc.layers.find((l) => l.name === 'c')!.outputs[0]!.shape).toBeNull();
  });

  it('writes -o atomically', () => {
    const dir = tmp();
    const out = join(dir, 'summary.md');
    expect(cli(['summary', '-f', 'markdown', '-o', out, 'specs/lenet.nnspec']).status).toBe(0);
    expect(readFileSync(out, 'utf8')).toContain('| conv1 | conv |');
    expect(readdirSync(dir)).toEqual(['summary.md']);
  });
});

describe('output to a pipe that closes early', () => {
  it('stops quietly when the reader goes away (nnspec summary … | head)', () => {
    // Far more rows than a pipe buffers, so that writes are still pending when head exits.
    const file = join(tmp(), 'long.prototxt');
    const layers = Array.from({ length: 20_000 }, (_, i) => `layer { name: "r${i}" type: "ReLU" bottom: "${i === 0 ? 'data' : `r${i - 1}`}" top: "r${i}" }`);
    writeFileSync(file, `input: "data" input_shape { dim: 1 dim: 3 dim: 8 dim: 8 }\n${layers.join('\n')}\n`);
    const r = spawnSync('sh', ['-c', `"${process.execPath}" "${join(ROOT, 'dist/cli/main.js')}" summary "${file}" | head -n 2`], { encoding: 'utf8' });
    expect(r.stdout.split('\n')[1]).toMatch(/^Layer\s+Type\s+Output shape/);
    expect(r.stderr).toBe('');
  });
});

describe('nnspec summary of a long net', () => {
  it('streams rows past the first 5,000 with the widths those fixed, and still totals every layer', () => {
    const file = join(tmp(), 'long.prototxt');
    const name = (i: number) => (i === 5999 ? 'a_much_longer_layer_name_than_any_before' : `r${i}`);
    const layers = Array.from({ length: 6000 }, (_, i) => `layer { name: "${name(i)}" type: "ReLU" bottom: "${i === 0 ? 'data' : name(i - 1)}" top: "${name(i)}" }`);
    writeFileSync(file, `name: "long"\ninput: "data" input_shape { dim: 1 dim: 3 dim: 8 dim: 8 }\n${layers.join('\n')}\n`);
    const r = cli(['summary', file]);
    expect(r.status).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    const header = lines[1]!;
    const row = (layer: string) => lines.find((l) => l.startsWith(`${layer} `))!;
    // Rows within the first 5,000 line up with the header; the late, longer name pushes its row out.
    expect(row('r4000').indexOf('relu')).toBe(header.indexOf('Type'));
    expect(row('a_much_longer_layer_name_than_any_before')).toMatch(/^a_much_longer_layer_name_than_any_before {2}relu {2}/);
    expect(lines).toContain('Network: long (TEST), 6001 layers');
  });
});
