/** JSON as some public copies of the MERR annotation files spell it. */

/** Drops `//` comments outside strings and turns line breaks inside strings into spaces. */
export function lenientJson(text: string): string {
  let out = "";
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (inString) {
      if (c === "\\") {
        out += c + (text[i + 1] ?? "");
        i++;
      } else if (c === "\n" || c === "\r") {
        out += " ";
      } else {
        if (c === '"') inString = false;
        out += c;
      }
    } else if (c === "/" && text[i + 1] === "/") {
      while (i < text.length && text[i] !== "\n") i++;
      out += "\n";
    } else {
      if (c === '"') inString = true;
      out += c;
    }
  }
  return out;
}
