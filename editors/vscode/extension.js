// Starts `nnspec lsp --stdio` for .nnspec and Caffe prototxt files (diagnostics as you type,
// hover with a layer's shapes and receptive field, Format Document). Needs the
// `vscode-languageclient` dependency installed in this folder (`npm install` here); without
// nnspec on the PATH, set "nnspec.server.path" to its executable (or to dist/cli/main.js of
// a checkout, which is run with Node).
'use strict';
const vscode = require('vscode');
const { LanguageClient } = require('vscode-languageclient/node');

let client;

function serverOptions() {
  const configured = vscode.workspace.getConfiguration('nnspec').get('server.path') || 'nnspec';
  const js = configured.endsWith('.js');
  const command = js ? process.execPath : configured;
  const args = js ? [configured, 'lsp', '--stdio'] : ['lsp', '--stdio'];
  // No `transport`: the client then talks over the child's stdio without adding flags of its own.
  return { command, args, options: js ? { env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' } } : {} };
}

function activate(context) {
  client = new LanguageClient('nnspec', 'nnspec', serverOptions(), {
    documentSelector: [
      { scheme: 'file', language: 'nnspec' },
      { scheme: 'file', language: 'prototxt' },
      { scheme: 'untitled', language: 'nnspec' },
      { scheme: 'untitled', language: 'prototxt' },
    ],
  });
  context.subscriptions.push(client);
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
