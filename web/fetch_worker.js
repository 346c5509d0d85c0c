// The page's download worker (web/glassvm.js: download): fetches a file, reports its progress
// and unpacks it when asked, off the main thread, which is busy compiling and starting the core
// while the first guest downloads. Once it has a boot manifest it starts the files the manifest
// names at once, so they are under way before the page has parsed it and asked for them.
// index.html starts this worker first thing, before the stylesheets and scripts load, with the
// default guest's manifest in its URL (?prefetch=URL, and &snapshot=1 when the page starts from
// the snapshot the manifest names): the download starts as soon as the worker runs. (A message
// would wait for the main thread to pass it on, which is busy then: up to 250 ms late.) With
// &part=URL, the file the manifest is expected to name (the web build writes the snapshot's
// path into index.html) starts at once too, instead of after the manifest has come in; if the
// manifest names another, that download is dropped like any part no longer wanted.
// A message {id, url, unpack} is answered with {id, received, total} as the bytes arrive, then
// {id, out, sections} (an ArrayBuffer, transferred; for a snapshot, its large sections already
// unpacked, see SnapshotReader) or {id, error: {kind, message}}.
// A prefetched file the page has not asked for yet is sent as soon as it is in, unasked:
// {pushed: true, url, unpack, out, sections}; when the page asks for it later the answer is
// {id, pushed: true}, and the page takes what it was sent. The page's request and the answer
// are then not a round trip through the main thread's queue after the file is in.
const jobs = new Map();  // keyOf(url, unpack) -> a download started early, until claimed
const gz = (url) => /\.gz([?#].*)?$/.test(url);
function fail(kind, message) { return { kind, message }; }
// The file's bytes, counted into `job` as they come: {out, sections}. Unpacked while they
// arrive when asked (gzip); otherwise gathered here, and a snapshot's large sections are
// inflated as they arrive (SnapshotReader).
async function body(job, url, unpack) {
  let response;
  try {
    response = await fetch(url, { cache: 'no-cache' });
  } catch (e) {
    throw fail('network', e.message || 'network error');
  }
  if (!response.ok) throw fail('http', ('HTTP ' + response.status + ' ' + response.statusText).trim());
  job.total = Number(response.headers.get('Content-Length')) || 0;
  const reader = response.body.getReader();
  const next = async () => {
    try {
      return await reader.read();
    } catch (e) {
      throw fail('interrupted', e.message || 'network error');
    }
  };
  const counted = (step) => {
    job.received += step.value.length;
    if (job.id !== null) postMessage({ id: job.id, received: job.received, total: job.total });
  };
  const incomplete = () => fail('incomplete', job.received + ' of ' + job.total + ' bytes');
  if (unpack) {
    let downloadError = null;  // set when the download itself fails, as opposed to the unpacking
    const stream = new ReadableStream({
      async pull(controller) {
        let step;
        try {
          step = await next();
        } catch (e) {
          throw (downloadError = e);
        }
        if (step.done) {
          if (job.total && job.received !== job.total) throw (downloadError = incomplete());
          controller.close();
          return;
        }
        counted(step);
        controller.enqueue(step.value);
      },
      cancel(reason) {
        return reader.cancel(reason);
      },
    });
    try {
      const out = await new Response(stream.pipeThrough(new DecompressionStream('gzip'))).arrayBuffer();
      return { out, sections: null };
    } catch (e) {
      throw downloadError || fail('gzip', e.message || 'corrupt data');
    }
  }
  // A buffer of the announced length (grown when a server says less than it sends).
  let buf = new Uint8Array(Math.min(job.total || (1 << 20), kMaxPrealloc) || 1);
  const snapshot = new SnapshotReader(job.total);
  try {
    for (;;) {
      const step = await next();
      if (step.done) break;
      const at = job.received;
      if (at + step.value.length > buf.length) {
        const bigger = new Uint8Array(Math.max(buf.length * 2, at + step.value.length));
        bigger.set(buf.subarray(0, at));
        buf = bigger;
      }
      buf.set(step.value, at);
      counted(step);
      snapshot.advance(buf, job.received);
    }
    if (job.total && job.received !== job.total) throw incomplete();
  } catch (e) {
    snapshot.abandon();
    throw e;
  }
  const out = job.received === buf.length ? buf.buffer : buf.buffer.slice(0, job.received);
  return Object.assign({ out }, await snapshot.finish());
}
const kMaxPrealloc = 256 << 20;  // beyond, the buffer grows as the bytes actually arrive

// A snapshot's large sections, inflated while the file arrives, with the browser's
// DecompressionStream (docs/snapshots.md: each section is one zlib stream): the core takes them
// instead of inflating them on the main thread (SnapshotFile::Prepared), which meanwhile is busy
// starting the core. A section that does not unpack to its stated length is left out (the core
// unpacks it and says what is wrong); so are sections too small to matter. At most
// kUnpackHereMax bytes are set aside for the sections of one file, whatever it claims. The
// file's checksum is the core's to check (zlib's CRC-32 in wasm is several times faster than
// in JavaScript here). For a file that is not a snapshot, finish() gives {sections: null}.
const kSnapshotMagic = [0x47, 0x56, 0x4d, 0x53, 0x4e, 0x41, 0x50, 0x00];  // "GVMSNAP\0"
const kUnpackHereMin = 256 << 10, kUnpackHereMax = 256 << 20;
class SnapshotReader {
  constructor(total) {
    this.total = total;       // the announced length (0: unknown)
    this.snapshot = null;     // unknown until the header is in, then true or false
    this.count = 0;           // sections in the table
    this.index = 0;           // the section whose entry is read next
    this.pos = 16;            // where that entry starts
    this.section = null;      // {end, fed, inflate}: the section whose data is arriving
    this.inflates = [];
    this.reserved = 0;        // bytes set aside for the inflated sections
  }
  // `buf`'s first `end` bytes have arrived.
  advance(buf, end) {
    if (this.snapshot === null) {
      if (end < 16) return;
      this.snapshot = kSnapshotMagic.every((v, i) => buf[i] === v);
      if (this.snapshot) this.count = new DataView(buf.buffer).getUint32(12, true);
    }
    if (!this.snapshot) return;
    for (;;) {
      const s = this.section;
      if (s !== null) {
        const to = Math.min(end, s.end);
        if (s.inflate && to > s.fed) s.inflate.writer.write(buf.subarray(s.fed, to)).catch(() => {});
        s.fed = to;
        if (to < s.end) return;
        if (s.inflate) s.inflate.writer.close().catch(() => {});
        this.section = null;
        this.pos = s.end;
        continue;
      }
      if (this.index >= this.count || this.index >= 4096) return;
      const p = this.pos;
      if (end < p + 1 || end < p + 1 + buf[p] + 20) return;
      const n = buf[p];
      const view = new DataView(buf.buffer);
      const name = new TextDecoder().decode(buf.subarray(p + 1, p + 1 + n));
      const stored = Number(view.getBigUint64(p + 1 + n + 4, true));
      const unpacked = Number(view.getBigUint64(p + 1 + n + 12, true));
      const start = p + 1 + n + 20;
      this.index++;
      if (this.total && stored > this.total - start) {  // past the end: the core says so
        this.index = this.count;
        return;
      }
      const wanted = unpacked >= kUnpackHereMin && unpacked <= kUnpackHereMax - this.reserved;
      if (wanted) this.reserved += unpacked;
      const inflate = wanted ? inflateSection(name, unpacked) : null;
      if (inflate) this.inflates.push(inflate);
      this.section = { end: start + stored, fed: start, inflate };
    }
  }
  abandon() {
    for (const x of this.inflates) x.writer.abort().catch(() => {});
  }
  // All the bytes have arrived: {sections}.
  async finish() {
    if (!this.snapshot) return { sections: null };
    if (this.section && this.section.inflate) this.section.inflate.writer.abort().catch(() => {});
    return { sections: (await Promise.all(this.inflates.map((x) => x.done))).filter(Boolean) };
  }
}
// A DecompressionStream for one section: its writer takes the stored bytes as they arrive;
// `done` resolves to {name, length, chunks} once they unpack to exactly `unpacked` bytes, else
// null. The chunks (ArrayBuffers, in order) are passed on as they came, not gathered into one
// buffer: the page keeps them, and the core copies pieces of them straight to where they go.
function inflateSection(name, unpacked) {
  if (typeof DecompressionStream !== 'function') return null;
  const stream = new DecompressionStream('deflate');
  const writer = stream.writable.getWriter();
  const reader = stream.readable.getReader();
  const done = (async () => {
    const chunks = [];
    let at = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (value.length > unpacked - at) {
        reader.cancel().catch(() => {});
        return null;
      }
      // A chunk must be a whole ArrayBuffer of its own to be transferred.
      const whole = value.byteOffset === 0 && value.byteLength === value.buffer.byteLength;
      chunks.push(whole ? value.buffer : value.slice().buffer);
      at += value.length;
    }
    return at === unpacked ? { name, length: unpacked, chunks } : null;
  })().catch(() => null);
  return { writer, done };
}
// A download, started at once; a boot manifest's files are started as soon as it is in. Its
// `done` resolves to body()'s {out, sections}.
function start(url, unpack, fromSnapshot = false) {
  const job = { id: null, received: 0, total: 0, done: null };
  job.done = body(job, url, unpack);
  if (/\.json([?#].*)?$/.test(url)) {
    job.done.then(({ out }) => prefetchParts(url, out, fromSnapshot), () => {});
  }
  job.done.catch(() => {});
  return job;
}
const keyOf = (url, unpack) => unpack + ' ' + url;
// Starts the download of `url` unless it is under way; the page claims it by asking for it,
// and is sent it unasked once it is in if it has not asked by then.
function prefetch(url, unpack, fromSnapshot = false) {
  const key = keyOf(url, unpack);
  if (jobs.has(key)) return;
  const job = Object.assign(start(url, unpack, fromSnapshot), { pushed: false });
  jobs.set(key, job);
  job.done.then(({ out, sections }) => {
    if (job.id !== null || jobs.get(key) !== job) return;  // asked for meanwhile, or dropped
    job.pushed = true;
    postMessage({ pushed: true, url, unpack, out, sections }, transfers(out, sections));
  }, () => {});  // a failed download is reported when the page asks for it
}
const transfers = (out, sections) => [out, ...(sections || []).flatMap((x) => x.chunks)];
// The files a boot manifest names (see glassvm.js: downloadBoot), in place of the unclaimed
// ones an earlier manifest named: its snapshot when the page starts from it (index.html says
// so), else the kernel and the initramfs.
function prefetchParts(url, bytes, fromSnapshot) {
  let m;
  try {
    m = JSON.parse(new TextDecoder().decode(bytes));
  } catch (e) {
    return;
  }
  const names = fromSnapshot && m && typeof m.snapshot === 'string' ? [m.snapshot]
    : [m && m.kernel, m && m.initrd];
  const parts = names.filter((p) => typeof p === 'string').map((p) => new URL(p, url).href);
  const wanted = new Set(parts.map((p) => keyOf(p, gz(p))));
  for (const [key, job] of jobs) if (job.part && !wanted.has(key)) jobs.delete(key);
  for (const p of parts) prefetchPart(p);
}
// Starts `url` as a part of a manifest (dropped when a later manifest does not name it).
function prefetchPart(url) {
  prefetch(url, gz(url));
  jobs.get(keyOf(url, gz(url))).part = true;
}
// {id, url, unpack}: a download the page waits for.
onmessage = async (e) => {
  const { id, url, unpack } = e.data;
  const key = keyOf(url, unpack);
  const known = jobs.get(key);
  jobs.delete(key);
  if (known && known.pushed) {
    postMessage({ id, pushed: true });
    return;
  }
  const job = known || start(url, unpack);
  job.id = id;
  if (job.received) postMessage({ id, received: job.received, total: job.total });
  try {
    const { out, sections } = await job.done;
    postMessage({ id, out, sections }, transfers(out, sections));
  } catch (err) {
    postMessage({ id, error: err && err.kind ? err : fail('network', String(err)) });
  }
};

// The early start index.html asks for in this worker's URL (see the top).
{
  const asked = new URLSearchParams(self.location.search);
  const manifest = asked.get('prefetch');
  if (manifest !== null) {
    try {
      const url = new URL(manifest, self.location.href).href;
      const fromSnapshot = asked.get('snapshot') === '1';
      prefetch(url, gz(url), fromSnapshot);
      const part = asked.get('part');
      if (fromSnapshot && part !== null) prefetchPart(new URL(part, url).href);
    } catch (e) {}  // not a URL: the page asks for what it wants
  }
}
