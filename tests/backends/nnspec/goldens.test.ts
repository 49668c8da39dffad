/**
 * Printed files reviewed by hand for idiomatic nnspec (golden/nnspec-printer/): Caffe's LeNet,
 * torchvision's ResNet-18 with its residual branches and merges, and a net whose names need
 * quoting and escaping. Update with `npx vitest run tests/backends/nnspec -u` and review the
 * diff like a change to code.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CORPUS, CORPUS_SKIP_REASON, HAS_CORPUS, ROOT } from '../../helpers.js';
import { asNnspecStates, compilePrinted, irOf, printNnspec } from './roundtrip.js';

const GOLDEN = join(ROOT, 'golden/nnspec-printer');
const AWKWARD = join(ROOT, 'tests/backends/nnspec/fixtures/awkward-names.prototxt');

describe('nnspec printer goldens', () => {
  it.skipIf(!HAS_CORPUS)(`Caffe LeNet (train/test net, phase TEST)${HAS_CORPUS ? '' : ` — ${CORPUS_SKIP_REASON}`}`, async () => {
    const { text } = await printNnspec(join(CORPUS, 'BVLC__caffe/lenet_train_test.prototxt'), { phase: 'TEST' });
    await expect(text).toMatchFileSnapshot(join(GOLDEN, 'lenet_train_test.nnspec'));
  });

  it('torchvision ResNet-18: branches and merges', async () => {
    const { text } = await printNnspec(join(ROOT, 'specs/torchvision/resnet18.nnspec'));
    await expect(text).toMatchFileSnapshot(join(GOLDEN, 'resnet18.nnspec'));
  });

  it('awkward names: spaces, quotes, tabs, newlines, dots, non-ASCII, a number and inf', async () => {
    const printed = await printNnspec(AWKWARD);
    await expect(printed.text).toMatchFileSnapshot(join(GOLDEN, 'awkward-names.nnspec'));
    const back = await compilePrinted(printed.text!);
    expect(back.errors).toEqual([]);
    expect(back.ir).toEqual(asNnspecStates(irOf(printed.model!, printed.source!)));
    const names = back.ir!.nodes.map((n) => n.name);
    expect(names).toContain('line\nbreak \\ 🙂');
    expect(names).toContain('conv/1x1 "a"');
  });
});
