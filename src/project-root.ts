import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The folder holding package.json, views/ and public/: found by walking up from this module, so it
 * is the same whether the code runs from src/ through tsx or compiled from dist/src/.
 */
function findProjectRoot(): string {
  let folder = path.dirname(fileURLToPath(import.meta.url));
  while (!fs.existsSync(path.join(folder, 'package.json'))) {
    const parent = path.dirname(folder);
    if (parent === folder) throw new Error('No package.json above the server code');
    folder = parent;
  }
  return folder;
}

export const projectRoot = findProjectRoot();
