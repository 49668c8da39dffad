/**
 * `nnspec lsp --stdio`: the language server for editors (src/lsp/server.ts), loaded only when
 * this command runs so that no other command pays for vscode-languageserver.
 */
export async function runLsp(): Promise<number> {
  const { startServer } = await import('../lsp/server.js');
  return startServer();
}
