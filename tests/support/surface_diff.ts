/**
 * `make drift`'s comparison of two Codex surface snapshots: every leaf by its path, and a report
 * a person reads: what differs, its old value and its new one. A section recorded as skipped on
 * either side (e.g. no Secret Service here) is listed as not compared, never as a difference.
 *
 * @module
 */

import type { Json } from "./surface_format.ts";

/** One difference: where (section > key > ...), and the value in each snapshot. */
export interface Difference {
  what: string;
  /** The pinned snapshot's value (undefined: not there). */
  old?: Json;
  /** The compared binary's value (undefined: not there). */
  new?: Json;
}

/** What comparing two snapshots found. */
export interface Comparison {
  differences: Difference[];
  /** Sections skipped on one side or both, with the reason. */
  notCompared: string[];
}

const SEP = " > ";

function isObject(v: Json | undefined): v is { [key: string]: Json } {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/** `{"skipped": reason}`: a section that could not be taken where the snapshot was. */
function skipped(v: Json | undefined): string | undefined {
  if (!isObject(v)) return undefined;
  const keys = Object.keys(v);
  return keys.length === 1 && typeof v.skipped === "string" ? v.skipped : undefined;
}

/** Compare the pinned snapshot `old` with `now`, leaf by leaf (arrays are compared whole). */
export function compareSurfaces(old: Json, now: Json): Comparison {
  const differences: Difference[] = [];
  const notCompared: string[] = [];
  const walk = (a: Json | undefined, b: Json | undefined, at: string[]) => {
    const why = skipped(a) ?? skipped(b);
    if (why !== undefined) {
      notCompared.push(`${at.join(SEP)}: ${why}`);
      return;
    }
    if (isObject(a) && isObject(b)) {
      const keys = [
        ...Object.keys(a),
        ...Object.keys(b).filter((k) => !(k in a)),
      ];
      for (const key of keys) walk(a[key], b[key], [...at, key]);
      return;
    }
    if (JSON.stringify(a) !== JSON.stringify(b)) {
      differences.push({ what: at.join(SEP), old: a, new: b });
    }
  };
  walk(old, now, []);
  return { differences, notCompared };
}

function show(value: Json | undefined, indent: string): string {
  if (value === undefined) return "(not there)";
  if (typeof value === "string" && value.includes("\n")) {
    return `\n${value.split("\n").map((l) => `${indent}  | ${l}`).join("\n")}`;
  }
  if (Array.isArray(value) && value.length > 0) {
    return `\n${value.map((v) => `${indent}  - ${JSON.stringify(v)}`).join("\n")}`;
  }
  return JSON.stringify(value);
}

/**
 * Where the differences are: per section, how many entries differ and, for entries named
 * "group: detail" (the environment sweep's rows), which groups.
 */
function summary(differences: Difference[]): string[] {
  const sections = new Map<string, { entries: Set<string>; groups: Set<string> }>();
  for (const d of differences) {
    const [section, entry = ""] = d.what.split(SEP);
    const s = sections.get(section) ?? { entries: new Set(), groups: new Set() };
    s.entries.add(entry);
    if (entry.includes(": ")) s.groups.add(entry.slice(0, entry.indexOf(": ")));
    sections.set(section, s);
  }
  return [...sections].map(([section, { entries, groups }]) => {
    const count = entries.size > 1 || [...entries][0]
      ? ` ${entries.size} entr${entries.size === 1 ? "y" : "ies"}`
      : "";
    const which = groups.size > 0 ? ` (${[...groups].join(", ")})` : "";
    return `  ${section}${count ? ":" : ""}${count}${which}`;
  });
}

/** The readable report: where, then one entry per difference, then what was not compared. */
export function formatReport(
  comparison: Comparison,
  oldName: string,
  newName: string,
): string {
  const { differences, notCompared } = comparison;
  const lines = [
    differences.length === 0
      ? `No differences: ${newName} has the sign-in surface of ${oldName}.`
      : `${differences.length} difference${
        differences.length === 1 ? "" : "s"
      } between ${oldName} (old) and ${newName} (new):`,
  ];
  if (differences.length > 0) lines.push("", "Where:", ...summary(differences));
  for (const d of differences) {
    lines.push(
      "",
      `* ${d.what}`,
      `    old: ${show(d.old, "    ")}`,
      `    new: ${show(d.new, "    ")}`,
    );
  }
  if (notCompared.length > 0) {
    lines.push("", "Not compared:", ...notCompared.map((n) => `  ${n}`));
  }
  return lines.join("\n");
}
