/** The plugin through prettier's own API, as editors and `prettier --plugin` use it. */
import * as prettier from 'prettier';
import { describe, expect, it } from 'vitest';
import plugin from '../../src/format/prettier-plugin.js';
import { format } from './helpers.js';

const NET = 'layer { name: "conv1" type: "Convolution" bottom: "data" top: "conv1" convolution_param { num_output: 96 kernel_size: 11 } }\n';

describe('the prettier plugin', () => {
  it('is chosen by file extension', async () => {
    for (const filepath of ['net.prototxt', 'net.pbtxt', 'NET.PROTOTXT']) {
      expect(await prettier.format('name:"x"\n', { filepath, plugins: [plugin] }), filepath).toBe('name: "x"\n');
    }
    expect(await prettier.format('Conv{name:c}', { filepath: 'a.nnspec', plugins: [plugin] })).toBe('Conv { name: c }\n');
    const info = await prettier.getFileInfo('models/a.nnspec', { plugins: [plugin] });
    expect(info.inferredParser).toBe('nnspec');
  });

  it('follows printWidth, tabWidth and useTabs', async () => {
    expect(await format(NET, 'prototxt', { printWidth: 200 })).toBe(NET);
    const narrow = await format(NET, 'prototxt', { printWidth: 60, tabWidth: 4 });
    expect(narrow.split('\n')).toContain('    convolution_param { num_output: 96 kernel_size: 11 }');
    const tabs = await format(NET, 'prototxt', { printWidth: 60, useTabs: true });
    expect(tabs.split('\n')).toContain('\tname: "conv1"');
  });

  it('wraps a long list to the width, and gives the same text at that width again', async () => {
    const text = `Concat { bottom: [${Array.from({ length: 30 }, (_, i) => `branch_${i}`).join(', ')}] }\n`;
    const out = await format(text, 'nnspec', { printWidth: 50 });
    expect(Math.max(...out.split('\n').map((l) => l.length))).toBeLessThanOrEqual(50);
    expect(out.split('\n').length).toBeGreaterThan(5);
    expect(await format(out, 'nnspec', { printWidth: 50 })).toBe(out);
  });

  it('rejects a file with syntax errors with the position, as prettier reports parser errors', async () => {
    const error = await format('layer {\n  name: "a"\n  top: \n}\n', 'prototxt').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SyntaxError);
    expect((error as { loc: unknown }).loc).toEqual({ start: { line: 4, column: 1 } });
    expect((error as Error).message).toMatch(/\(4:1\)/);
  });

  it('keeps a byte-order mark; line endings follow endOfLine', async () => {
    expect(await format('\uFEFFname:"x"\r\n', 'prototxt')).toBe('\uFEFFname: "x"\n');
    expect(await format('name:"x"\r\ntop: "y"\r\n', 'prototxt', { endOfLine: 'auto' })).toBe('name: "x"\r\ntop: "y"\r\n');
    expect(await format('name:"x"\ntop: "y"', 'prototxt', { endOfLine: 'crlf' })).toBe('name: "x"\r\ntop: "y"\r\n');
  });

  it('formats an empty file, or one of comments only', async () => {
    expect(await format('', 'prototxt')).toBe('');
    expect(await format('\n\n  \n', 'nnspec')).toBe('');
    expect(await format('\n# only a comment   \n\n\n# and another\n', 'nnspec')).toBe('# only a comment\n\n# and another\n');
  });

  it('never introduces list syntax or drops a colon in a Caffe file', async () => {
    const text = 'layer { top: "a" top: "b" bottom: "c" param { lr_mult: 1 } param: { lr_mult: 2 } }\n';
    const out = await format(text, 'prototxt', { printWidth: 30 });
    expect(out).not.toContain('[');
    expect(out.match(/top: /g)).toHaveLength(2);
    expect(out).toContain('param: {');
  });
});
