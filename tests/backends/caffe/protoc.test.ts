/**
 * protoc's own text-format parser accepts what the backend writes, against a caffe.proto of
 * BVLC Caffe 1.0 (generated from the reader's schema, without the later and fork fields):
 * for every shipped spec and every corpus file whose layers are all BVLC's. Outputs that use
 * `round_mode` (a note says they need Caffe master) or keep a fork's layer are not 1.0 files.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { CORPUS, HAS_CORPUS, ROOT, corpusFiles, specFiles } from '../../helpers.js';
import { caffeProtoText } from './proto-file.js';
import { emitFile } from './roundtrip.js';

const FIXTURES = join(ROOT, 'tests/fixtures/caffe');
const HAS_PROTOC = spawnSync('protoc', ['--version'], { encoding: 'utf8' }).status === 0;
const NO_PROTOC = 'protoc is not installed (Debian: apt-get install -y protobuf-compiler); the protoc checks are skipped';

function protocEncode(text: string): { ok: boolean; stderr: string } {
  const r = spawnSync('protoc', [`--proto_path=${FIXTURES}`, '--encode=caffe.NetParameter', 'caffe.proto'], { input: text, maxBuffer: 256 * 1024 * 1024 });
  return { ok: r.status === 0, stderr: r.stderr.toString('utf8') };
}

test('the checked-in caffe.proto is the one generated from the schema', () => {
  expect(readFileSync(join(FIXTURES, 'caffe.proto'), 'utf8')).toBe(caffeProtoText());
});

test.skipIf(HAS_PROTOC)('protoc checks', () => {
  console.log(NO_PROTOC);
});

const notOneZero: string[] = [];

describe.skipIf(!HAS_PROTOC)('protoc --encode=caffe.NetParameter accepts the output', () => {
  afterAll(() => console.log(`not checked against the 1.0 proto:\n  ${notOneZero.join('\n  ')}`));
  const inputs = [...specFiles().map((f) => join(ROOT, f)), ...(HAS_CORPUS ? corpusFiles().map((f) => join(CORPUS, f)) : [])];
  test.each(inputs.map((p) => [p.startsWith(CORPUS) ? p.slice(CORPUS.length + 1) : p.slice(ROOT.length + 1), p]))('%s', async (_name, path) => {
    const e = await emitFile(path, { phase: 'TRAIN' });
    if (!e.input || e.text === null) return; // rejected by the compiler (a solver) or refused: the round-trip tests list them
    const master = e.diagnostics.some((d) => d.code === 'convert/caffe-master');
    const fork = e.input.model.graph.nodes.some((n) => n.op === 'opaque' && n.attrs.type !== 'Python');
    if (master || fork) {
      notOneZero.push(`${_name}: ${master ? 'uses round_mode (Caffe master)' : 'keeps a fork layer'}`);
      return;
    }
    const r = protocEncode(e.text);
    expect(r.stderr).toBe('');
    expect(r.ok).toBe(true);
  });

  test('a net with round_mode is accepted against the master proto only', async () => {
    const e = await emitFile('t.prototxt', {}, 'layer { name: "in" type: "Input" top: "x" }\nlayer { name: "p" type: "Pooling" bottom: "x" top: "p" pooling_param { kernel_size: 3 stride: 2 round_mode: FLOOR } }\n');
    expect(e.text).toContain('round_mode: FLOOR');
    const r = protocEncode(e.text!);
    expect(r.ok).toBe(false);
    expect(r.stderr).toContain('round_mode');
  });
});
