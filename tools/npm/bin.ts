/**
 * The npm package's `bin` entry: `make npm-pack` bundles this (with `launcher.ts` and the grant
 * rules) into `bin/codex-login.cjs`, which Node runs.
 *
 * @module
 */

import { main } from "./launcher.ts";

main();
