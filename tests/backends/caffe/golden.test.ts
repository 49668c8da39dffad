/**
 * Reviewed outputs (golden/caffe/): LeNet from its spec, a V1 Caffe file upgraded to V2, and
 * a spec of features Caffe 1.0 lacks, lowered, with the notes that say how. Update with
 * `npx vitest run tests/backends/caffe -u` and review the diff like code.
 */
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { CORPUS, HAS_CORPUS, ROOT } from '../../helpers.js';
import { emitFile } from './roundtrip.js';

const GOLDEN = join(ROOT, 'golden/caffe');

async function golden(path: string, name: string, phase?: 'TRAIN' | 'TEST') {
  const e = await emitFile(path, phase ? { phase } : {});
  expect(e.text).not.toBeNull();
  await expect(e.text).toMatchFileSnapshot(join(GOLDEN, `${name}.prototxt`));
  const said = e.diagnostics.filter((d) => d.code.startsWith('convert/')).map((d) => `${d.severity} ${d.code}: ${d.message}`);
  await expect(said.join('\n') + '\n').toMatchFileSnapshot(join(GOLDEN, `${name}.diagnostics.txt`));
}

test('LeNet spec', () => golden(join(ROOT, 'specs/lenet.nnspec'), 'lenet'));

test('features Caffe 1.0 lacks, lowered', () => golden(join(ROOT, 'tests/fixtures/caffe/rewrites.nnspec'), 'rewrites'));

test.skipIf(!HAS_CORPUS)('a V1 file (LeNet train/test, TRAIN phase) upgraded to V2', () =>
  golden(join(CORPUS, 'BVLC__caffe/V1_11a4c16__lenet_train_test.prototxt'), 'v1-lenet-train', 'TRAIN'),
);
