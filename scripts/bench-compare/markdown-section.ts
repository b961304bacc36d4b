/**
 * Replaces the level-2 section `heading` (from its `## ` line up to the next `## ` line or the
 * end) with `section`, or appends it when absent. Every other section is kept byte for byte.
 * `section` must start with the heading line.
 */
export function replaceSection(document: string, heading: string, section: string): string {
  if (!section.startsWith(`${heading}\n`)) throw new Error(`the section must start with "${heading}"`);
  const body = section.endsWith("\n") ? section : `${section}\n`;
  const lines = document.split("\n");
  const start = lines.findIndex((line) => line.trimEnd() === heading);
  if (start === -1) {
    if (document.trim() === "") return body;
    const base = document.endsWith("\n") ? document : `${document}\n`;
    return `${base}\n${body}`;
  }
  let end = lines.length;
  let inFence = false;
  for (let i = start + 1; i < lines.length; i++) {
    // A "## " inside a fenced code block is not a heading.
    if (lines[i]!.startsWith("```")) inFence = !inFence;
    if (!inFence && lines[i]!.startsWith("## ")) {
      end = i;
      break;
    }
  }
  const before = lines.slice(0, start).join("\n");
  const after = lines.slice(end).join("\n");
  return `${before}${start > 0 ? "\n" : ""}${body}${end < lines.length ? `\n${after}` : ""}`;
}
