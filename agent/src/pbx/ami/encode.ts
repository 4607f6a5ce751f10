/** Encodes one action (reference §1: `Name: value` lines, CRLF, an empty line ends it). CR/LF in values are
 * replaced by spaces and colons dropped from names, so an argument can never inject a header or end the action. */
export function encodeAction(action: string, id: string, fields: Record<string, string>): string {
  const clean = (v: string) => v.replace(/[\r\n]/g, ' ');
  let out = `Action: ${clean(action)}\r\nActionID: ${id}\r\n`;
  for (const [k, v] of Object.entries(fields))
    out += `${clean(k).replace(/:/g, '')}: ${clean(String(v))}\r\n`;
  return `${out}\r\n`;
}
