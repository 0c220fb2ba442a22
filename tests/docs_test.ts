/**
 * Every link between the repository's own pages resolves: the file exists, and an `#anchor`
 * names a heading of that page (GitHub's slugs). A page moved or a heading renamed breaks it.
 */

import assert from "node:assert/strict";
import { ROOT } from "./support/helpers.ts";

const SKIP = new Set(["node_modules", "dist", ".git", "screenshots", ".test-output", "coverage"]);

async function markdownFiles(dir = ""): Promise<string[]> {
  const found: string[] = [];
  for await (const entry of Deno.readDir(`${ROOT}${dir}`)) {
    const rel = dir ? `${dir}/${entry.name}` : entry.name;
    if (entry.isDirectory && !SKIP.has(entry.name)) found.push(...await markdownFiles(rel));
    else if (entry.isFile && entry.name.endsWith(".md")) found.push(rel);
  }
  return found.sort();
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to dashes. */
function slug(heading: string): string {
  return heading.trim().toLowerCase().replace(/[`*_]/g, "").replace(/[^\p{L}\p{N} -]/gu, "")
    .replace(/ /g, "-");
}

function anchors(text: string): Set<string> {
  const found = new Set<string>();
  for (const match of text.matchAll(/^#{1,6}\s+(.+?)\s*#*$/gm)) found.add(slug(match[1]));
  return found;
}

/** The links of a page, code blocks and inline code aside. */
function links(text: string): string[] {
  const prose = text.replace(/```[\s\S]*?```/g, "").replace(/`[^`\n]*`/g, "");
  return [...prose.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)].map((m) => m[1]);
}

Deno.test("docs: every link between our pages resolves, anchors included", async () => {
  const broken: string[] = [];
  const files = await markdownFiles();
  assert.ok(files.includes("README.md") && files.includes("docs/security.md"), files.join(" "));
  for (const file of files) {
    const text = await Deno.readTextFile(`${ROOT}${file}`);
    const dir = file.includes("/") ? file.slice(0, file.lastIndexOf("/") + 1) : "";
    for (const link of links(text)) {
      if (/^[a-z]+:/i.test(link)) continue; // http(s), mailto
      const [path, anchor] = link.split("#");
      const target = path ? new URL(path, `file://${ROOT}${dir}`).pathname : `${ROOT}${file}`;
      const exists = await Deno.stat(target).then(() => true, () => false);
      if (!exists) {
        broken.push(`${file}: ${link} (no such file)`);
        continue;
      }
      if (anchor && target.endsWith(".md")) {
        if (!anchors(await Deno.readTextFile(target)).has(anchor)) {
          broken.push(`${file}: ${link} (no such heading)`);
        }
      }
    }
  }
  assert.deepEqual(broken, []);
});
