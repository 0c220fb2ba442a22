/**
 * Prints, one per line, the permission flags `make compile` bakes into the binary for OS,
 * from the one permission source (lib/base/grants.ts `compiledFlags`).
 *
 *   deno run tools/compiled_flags.ts linux|darwin|windows SCOPE
 *
 * @module
 */

import { compiledFlags } from "../lib/base/grants.ts";

const [os, scope = ""] = Deno.args;
if (!os) {
  console.error("usage: tools/compiled_flags.ts linux|darwin|windows SCOPE");
  Deno.exit(2);
}
console.log(compiledFlags(os, scope).join("\n"));
