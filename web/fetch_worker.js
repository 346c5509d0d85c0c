// The page's download worker (web/glassvm.js: download): fetches a file, reports its progress
// and unpacks it when asked, off the main thread, which is busy compiling and starting the core
// while the first guest downloads. Once it has a boot manifest it starts the files the manifest
// names at once, so they are under way before the page has parsed it and asked for them.
// index.html starts this worker first thing, before the stylesheets and scripts load, and asks it
// to start the default guest's manifest ({prefetch: url}) before the page's script has run.
// A message {id, url, unpack} is answered with {id, received, total} as the bytes arrive, then
// {id, out, sections, bodyCrc} (an ArrayBuffer, transferred; for a snapshot, its large sections
// already unpacked and its checksum computed, see SnapshotReader) or {id, error: {kind, message}}.
const jobs = new Map();  // keyOf(url, unpack) -> a download started early, until claimed
const gz = (url) => /\.gz([?#].*)?$/.test(url);
function fail(kind, message) { return { kind, message }; }
// The file's bytes, counted into `job` as they come: {out, sections, bodyCrc}. Unpacked
// while they arrive when asked (gzip); otherwise gathered here, and a snapshot's large sections
// are inflated, and its checksum computed, as they arrive (SnapshotReader).
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
  return Object.assign({ out }, await snapshot.finish(job.received));
}
const kMaxPrealloc = 256 << 20;  // beyond, the buffer grows as the bytes actually arrive

// A snapshot's large sections, inflated while the file arrives, with the browser's
// DecompressionStream (docs/snapshots.md: each section is one zlib stream), and the CRC-32 of
// the file without its trailer: the core takes both instead of doing that work on the main
// thread (SnapshotFile::Prepared), which meanwhile is busy starting the core. A section that
// does not unpack to its stated length is left out (the core unpacks it and says what is
// wrong); so are sections too small to matter. At most kUnpackHereMax bytes are set aside for
// the sections of one file, whatever it claims. For a file that is not a snapshot, finish()
// gives {sections: null}.
const kSnapshotMagic = [0x47, 0x56, 0x4d, 0x53, 0x4e, 0x41, 0x50, 0x00];  // "GVMSNAP\0"
const kUnpackHereMin = 256 << 10, kUnpackHereMax = 256 << 20;
// CRC-32 (zlib's), eight bytes a step ("slicing by 8": table k gives the CRC of a byte
// followed by k zero bytes). crcRange continues the inverted CRC `c` over b[from, to).
const kCrcTables = (() => {
  const t = new Int32Array(8 * 256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  for (let k = 1; k < 8; k++) {
    for (let n = 0; n < 256; n++) {
      const prev = t[(k - 1) * 256 + n];
      t[k * 256 + n] = t[prev & 0xff] ^ (prev >>> 8);
    }
  }
  return t;
})();
function crcRange(c, b, from, to) {
  const t = kCrcTables;
  let i = from;
  for (; i + 8 <= to; i += 8) {
    const w = c ^ (b[i] | b[i + 1] << 8 | b[i + 2] << 16 | b[i + 3] << 24);
    c = t[1792 + (w & 0xff)] ^ t[1536 + ((w >>> 8) & 0xff)] ^ t[1280 + ((w >>> 16) & 0xff)] ^
        t[1024 + (w >>> 24)] ^ t[768 + b[i + 4]] ^ t[512 + b[i + 5]] ^ t[256 + b[i + 6]] ^ t[b[i + 7]];
  }
  for (; i < to; i++) c = t[(c ^ b[i]) & 0xff] ^ (c >>> 8);
  return c;
}
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
    this.crc = -1;            // CRC-32 (inverted) of the bytes before crcAt
    this.crcAt = 0;
  }
  // `buf`'s first `end` bytes have arrived.
  advance(buf, end) {
    if (this.snapshot === null) {
      if (end < 16) return;
      this.snapshot = kSnapshotMagic.every((v, i) => buf[i] === v);
      if (this.snapshot) this.count = new DataView(buf.buffer).getUint32(12, true);
    }
    if (!this.snapshot) return;
    // The checksum runs 4 bytes behind: the last 4 are the trailer.
    if (end - 4 > this.crcAt) {
      this.crc = crcRange(this.crc, buf, this.crcAt, end - 4);
      this.crcAt = end - 4;
    }
    for (;;) {
      const s = this.section;
      if (s !== null) {
        const to = Math.min(end, s.end);
        if (s.inflate && to > s.fed) s.inflate.writer.write(buf.slice(s.fed, to)).catch(() => {});
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
  // All `end` bytes have arrived: {sections, bodyCrc}.
  async finish(end) {
    if (!this.snapshot) return { sections: null };
    if (this.section && this.section.inflate) this.section.inflate.writer.abort().catch(() => {});
    const sections = (await Promise.all(this.inflates.map((x) => x.done))).filter(Boolean);
    return { sections, bodyCrc: end >= 20 && this.crcAt === end - 4 ? ~this.crc >>> 0 : undefined };
  }
}
// A DecompressionStream for one section: its writer takes the stored bytes as they arrive;
// `done` resolves to {name, buffer} once they unpack to exactly `unpacked` bytes, else null.
function inflateSection(name, unpacked) {
  if (typeof DecompressionStream !== 'function') return null;
  const stream = new DecompressionStream('deflate');
  const writer = stream.writable.getWriter();
  const reader = stream.readable.getReader();
  const done = (async () => {
    const out = new Uint8Array(unpacked);
    let at = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (value.length > unpacked - at) {
        reader.cancel().catch(() => {});
        return null;
      }
      out.set(value, at);
      at += value.length;
    }
    return at === unpacked ? { name, buffer: out.buffer } : null;
  })().catch(() => null);
  return { writer, done };
}
// A download, started at once; a boot manifest's files are started as soon as it is in. Its
// `done` resolves to body()'s {out, sections, bodyCrc}.
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
// Starts the download of `url` unless it is under way; the page claims it by asking for it.
function prefetch(url, unpack, fromSnapshot = false) {
  const key = keyOf(url, unpack);
  if (!jobs.has(key)) {
    jobs.set(key, Object.assign(start(url, unpack, fromSnapshot), { prefetched: true }));
  }
}
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
  for (const p of parts) {
    prefetch(p, gz(p));
    jobs.get(keyOf(p, gz(p))).part = true;
  }
}
// {prefetch: url, snapshot}: index.html's early start of the default guest (no answer);
// `snapshot`: the page starts from the manifest's snapshot rather than booting.
// {id, url, unpack}: a download the page waits for.
onmessage = async (e) => {
  if (e.data.prefetch !== undefined) {
    prefetch(e.data.prefetch, gz(e.data.prefetch), !!e.data.snapshot);
    return;
  }
  const { id, url, unpack } = e.data;
  const key = keyOf(url, unpack);
  const job = jobs.get(key) || start(url, unpack);
  jobs.delete(key);
  job.id = id;
  if (job.received) postMessage({ id, received: job.received, total: job.total });
  try {
    const { out, sections, bodyCrc } = await job.done;
    postMessage({ id, out, sections, bodyCrc }, [out, ...(sections || []).map((x) => x.buffer)]);
  } catch (err) {
    postMessage({ id, error: err && err.kind ? err : fail('network', String(err)) });
  }
};
