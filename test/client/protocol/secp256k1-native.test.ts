// Signature recovery (client/protocol/signature.ts) runs on libsecp256k1's native binding, ~25 times faster than
// the pure-JS fallback the `secp256k1` package silently switches to when the binding does not load. Its install
// script is denied in package.json (allowScripts): the package's prebuilt linux-x64 binding must load without it.
import t from 'tap';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

t.test('the native secp256k1 binding loads (no fallback to the pure-JS curve)', async (t) => {
  t.doesNotThrow(() => require('secp256k1/bindings'), 'secp256k1/bindings loads');
  t.equal(require('secp256k1'), require('secp256k1/bindings'), 'what `import secp256k1` gets is the binding');
});
