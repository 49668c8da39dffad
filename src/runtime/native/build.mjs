// Builds nnspec's optional native kernels (kernels.c, OpenBLAS) with node-gyp. Run by
// `npm install` / `npm ci` (the package's install script) and by `npm run build:native`.
// It never fails the install: without a C compiler, Node's headers or OpenBLAS
// (Debian: g++ libopenblas-dev) nnspec trains on tfjs-backend-wasm alone, and says so.
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

function nodeGyp() {
  // npm exports its bundled node-gyp to lifecycle scripts; otherwise look next to npm.
  const candidates = [
    process.env.npm_config_node_gyp,
    join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  ];
  return candidates.find((p) => p && existsSync(p));
}

function nodeDir() {
  if (process.env.npm_config_nodedir) return process.env.npm_config_nodedir;
  // A system Node (e.g. Debian's) ships its headers; without this node-gyp would download them.
  const prefix = dirname(dirname(process.execPath));
  return existsSync(join(prefix, 'include', 'node', 'node_api.h')) ? prefix : undefined;
}

function skip(why) {
  rmSync(join(here, 'build'), { recursive: true, force: true });
  console.log(`nnspec: native kernels not built (${why}); training runs on tfjs-backend-wasm alone.`);
  console.log('nnspec: to add them, install a C compiler and OpenBLAS (Debian: g++ libopenblas-dev) and run `npm run build:native`.');
  process.exit(0);
}

if (process.env.NNSPEC_NATIVE === '0') skip('NNSPEC_NATIVE=0');
if (process.platform !== 'linux' && process.platform !== 'darwin') skip(`not supported on ${process.platform}`);
const gyp = nodeGyp();
if (!gyp) skip('node-gyp was not found');
const dir = nodeDir();
const args = [gyp, 'rebuild', '--directory', here, ...(dir ? [`--nodedir=${dir}`] : [])];
const run = spawnSync(process.execPath, args, { encoding: 'utf8' });
if (run.status !== 0) {
  const lines = `${run.stdout ?? ''}\n${run.stderr ?? ''}`.split('\n').filter((l) => /error|cannot find|not found/i.test(l) && !/gyp ERR! (stack|System|command|cwd|node -v|node-gyp -v|not ok)/.test(l));
  skip(lines.slice(0, 3).map((l) => l.trim()).join(' | ') || `node-gyp exited with ${run.status ?? run.signal}`);
}
console.log('nnspec: native kernels built (src/runtime/native/build/Release/nnspec_native.node)');
