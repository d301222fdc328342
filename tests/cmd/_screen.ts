/**
 * What a terminal shows after these bytes: `\r` returns to column 0, `\n` starts a line, `ESC[K`
 * erases to the end of the line, colour codes take no room. Enough to judge the spinner's redraws.
 */
// deno-lint-ignore no-control-regex -- terminal control sequences are what this reads
const CSI = /^\x1b\[([0-9;]*)([A-Za-z])/;

export function screen(bytes: string): string[] {
  const lines = [""];
  let column = 0;
  for (let i = 0; i < bytes.length;) {
    const csi = bytes.slice(i, i + 16).match(CSI);
    if (csi) {
      if (csi[2] === "K") lines[lines.length - 1] = lines[lines.length - 1].slice(0, column);
      i += csi[0].length;
      continue;
    }
    const char = bytes[i++];
    if (char === "\r") column = 0;
    else if (char === "\n") {
      lines.push("");
      column = 0;
    } else {
      const line = lines[lines.length - 1].padEnd(column);
      lines[lines.length - 1] = line.slice(0, column) + char + line.slice(column + 1);
      column++;
    }
  }
  return lines;
}

/** Text without colour codes (what a pipe shows when FORCE_COLOR is unset). */
// deno-lint-ignore no-control-regex -- SGR sequences are what this removes
export const stripColor = (text: string) => text.replace(/\x1b\[[0-9;]*m/g, "");
