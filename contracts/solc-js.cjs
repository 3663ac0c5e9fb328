#!/usr/bin/env node
// A stand-in for a native solc binary: forge cannot download one offline, so it runs the pinned npm `solc`
// (a WebAssembly build of the same compiler). forge asks `--version` in the native format, then sends
// standard JSON on stdin.
'use strict';
const fs = require('fs');
const path = require('path');
const solc = require(path.join(__dirname, '..', 'node_modules', 'solc'));

if (process.argv.includes('--version')) {
  const long = solc.version(); // e.g. 0.8.30+commit.73712a01.Emscripten.clang
  console.log('solc, the solidity compiler commandline interface');
  console.log('Version: ' + long.replace(/\.Emscripten\.clang$/, '.Linux.g++'));
  process.exit(0);
}

// Sources forge does not inline are read from disk, relative to the base path or as absolute paths.
const argValue = (flag) => {
  const i = process.argv.indexOf(flag);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const basePath = argValue('--base-path') || process.cwd();
function findImports(importPath) {
  for (const candidate of [importPath, path.join(basePath, importPath)]) {
    try {
      return { contents: fs.readFileSync(candidate, 'utf8') };
    } catch {}
  }
  return { error: 'File not found: ' + importPath };
}

const input = fs.readFileSync(0, 'utf8');
process.stdout.write(solc.compile(input, { import: findImports }));
