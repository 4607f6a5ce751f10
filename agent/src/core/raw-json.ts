/**
 * JSON text already serialized, to be embedded as is where a reply carries `data` (ReplyChannel.part): a
 * streamed result built as text (cdr.query's rows) is not parsed back nor stringified a second time.
 * `text` must be one valid JSON value; JSON.stringify of a RawJson gives the same value (toJSON).
 */
export class RawJson {
  constructor(readonly text: string) {}

  toJSON(): unknown {
    return JSON.parse(this.text);
  }
}
