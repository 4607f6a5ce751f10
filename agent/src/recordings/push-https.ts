import { createReadStream } from 'node:fs';
import { request } from 'node:https';
import { PbxlinkError } from '../core/errors';

/** One HTTPS upload target. */
export interface HttpsTarget {
  url: string;
  /** CA (PEM) to trust besides the system ones (a private object store, tests). */
  ca?: string | Buffer;
  /** Per-request inactivity timeout in ms (default 30 s). */
  timeoutMs?: number;
}

/** Outcome of one HTTP exchange. */
interface HttpResult {
  status: number;
  range?: string;
}

/** Fills `{agent}`, `{uniqueid}`, `{name}`, `{sha256}` of a URL template; values are URL-encoded (`/` kept in name). */
export function expandUrlTemplate(
  template: string,
  v: { agent: string; uniqueid: string | null; name: string; sha256: string },
): string {
  const url = template
    .replaceAll('{agent}', encodeURIComponent(v.agent))
    .replaceAll('{uniqueid}', encodeURIComponent(v.uniqueid ?? 'unknown'))
    .replaceAll('{name}', v.name.split('/').map(encodeURIComponent).join('/'))
    .replaceAll('{sha256}', v.sha256);
  const u = new URL(url);
  if (u.protocol !== 'https:')
    throw new PbxlinkError('invalid_args', 'recordings.url_template must be an https:// URL');
  return url;
}

function put(
  t: HttpsTarget,
  headers: Record<string, string | number>,
  body?: { path: string; start: number; end: number },
): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = request(t.url, { method: 'PUT', headers, ...(t.ca ? { ca: t.ca } : {}) }, (res) => {
      res.resume(); // the body is not needed; drain it so the socket is freed
      res.on('end', () => resolve({ status: res.statusCode ?? 0, range: res.headers.range }));
      res.on('error', reject);
    });
    req.setTimeout(t.timeoutMs ?? 30_000, () => req.destroy(new Error('upload timed out')));
    req.on('error', reject);
    if (!body || body.end < body.start) {
      req.end();
      return;
    }
    const s = createReadStream(body.path, { start: body.start, end: body.end, highWaterMark: 256 * 1024 });
    s.on('error', (e) => req.destroy(e));
    s.pipe(req);
  });
}

/** Statuses worth another try: timeouts, throttling, server faults, and 308 (incomplete, resumable). */
function transient(status: number): boolean {
  return status === 308 || status === 408 || status === 429 || status >= 500;
}

/** Bytes the server already holds after an interrupted upload, asked with `Content-Range: bytes * /size`
 * (the resumable-upload convention of GCS and tus-like stores); 0 when it cannot tell, `size` when complete. */
async function probe(t: HttpsTarget, size: number): Promise<number> {
  const r = await put(t, { 'Content-Length': 0, 'Content-Range': `bytes */${size}` });
  if (r.status === 200 || r.status === 201 || r.status === 204) return size;
  if (r.status === 308) {
    const m = /^bytes=0-(\d+)$/.exec(r.range ?? '');
    return m ? Math.min(size, Number(m[1]) + 1) : 0;
  }
  return 0;
}

/**
 * Uploads one file by HTTPS PUT. The first attempt sends the whole file; after an interruption the next attempt
 * asks the server how much it has and sends the rest with `Content-Range: bytes N-(size-1)/size`, or the whole
 * file again when the server cannot resume. `attempt` counts from 0: callers loop with their backoff.
 * Resolves true when the server holds the whole file; false for a transient failure; throws for a permanent one.
 */
export async function putOnce(t: HttpsTarget, path: string, size: number, attempt: number): Promise<boolean> {
  let from = 0;
  if (attempt > 0) {
    from = await probe(t, size).catch(() => 0);
    if (from >= size && size > 0) return true;
  }
  const headers: Record<string, string | number> = {
    'Content-Length': size - from,
    'Content-Type': 'application/octet-stream',
  };
  if (from > 0) headers['Content-Range'] = `bytes ${from}-${size - 1}/${size}`;
  let r: HttpResult;
  try {
    r = await put(t, headers, { path, start: from, end: size - 1 });
  } catch {
    return false; // connection reset, timeout: resume next time
  }
  if (r.status >= 200 && r.status < 300) return true;
  if (transient(r.status)) return false;
  throw new PbxlinkError('internal', `upload refused: HTTP ${r.status}`, { details: { status: r.status } });
}
