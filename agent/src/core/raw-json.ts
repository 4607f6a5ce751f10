/**
 * JSON already serialized (text, or its UTF-8 bytes), to be embedded as is where a reply carries `data`
 * (ReplyChannel.part): a streamed result built as JSON (cdr.query's rows) is not parsed back nor stringified a
 * second time. It must hold one valid JSON value; JSON.stringify of a RawJson gives the same value (toJSON).
 */
export class RawJson {
  constructor(readonly json: string | Buffer) {}

  /** The JSON text. */
  toString(): string {
    return typeof this.json === 'string' ? this.json : this.json.toString('utf8');
  }

  toJSON(): unknown {
    return JSON.parse(this.toString());
  }
}
