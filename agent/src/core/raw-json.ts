/**
 * JSON already serialized (text, or its UTF-8 bytes), to be embedded as is where a reply carries `data`
 * (ReplyChannel.part): a streamed result built as JSON (cdr.query's rows) is not parsed back nor stringified a
 * second time. It must hold one valid JSON value; JSON.stringify of a RawJson gives the same value (toJSON).
 */
export class RawJson {
  constructor(
    readonly json: string | Buffer,
    /** Bytes of `json`'s memory just before and after it that the receiver may overwrite, to wrap the JSON (an
     * envelope around it) without copying it. */
    readonly room?: { before: number; after: number },
  ) {}

  /** The JSON text. */
  toString(): string {
    return typeof this.json === 'string' ? this.json : this.json.toString('utf8');
  }

  toJSON(): unknown {
    return JSON.parse(this.toString());
  }
}
