/**
 * Every writer in the table, through a fixture with one layer of (nearly) every BVLC type and
 * non-default settings: Caffe → IR → Caffe → IR is the identity, and protoc reads the output.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { OP_NAMES } from '../../../src/ir/ops/index.js';
import { ROOT } from '../../helpers.js';
import { comparableIr, emitFile, errorsOf, readBack } from './roundtrip.js';

const FIXTURE = join(ROOT, 'tests/fixtures/caffe/all-layers.prototxt');

test('all-layers fixture: Caffe → IR → Caffe → IR is the identity', async () => {
  const first = await emitFile(FIXTURE);
  expect(errorsOf(first.diagnostics)).toEqual([]);
  expect(first.text).not.toBeNull();
  const back = await readBack(first.text!);
  expect(comparableIr(back)).toEqual(comparableIr(first.input!));
  // The fixture reaches most of the table (the rest: the nnspec-only operations, tested in rewrites.test.ts).
  const ops = new Set(first.input!.model.graph.nodes.map((n) => n.op));
  const missing = OP_NAMES.filter((o) => !ops.has(o));
  expect(missing.sort()).toEqual(['adaptive_pool', 'clip', 'gelu', 'lstm_unit', 'maxout', 'selu', 'swish'].sort());
});

test.skipIf(spawnSync('protoc', ['--version']).status !== 0)('all-layers fixture: protoc accepts the output', async () => {
  const { text } = await emitFile(FIXTURE);
  const r = spawnSync('protoc', [`--proto_path=${join(ROOT, 'tests/fixtures/caffe')}`, '--encode=caffe.NetParameter', 'caffe.proto'], { input: text!, maxBuffer: 1 << 28 });
  expect(r.stderr.toString()).toBe('');
  expect(r.status).toBe(0);
});
