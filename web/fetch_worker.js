// The page's download worker (web/glassvm.js: download): fetches a file, reports its progress
// and unpacks it when asked, off the main thread, which is busy compiling and starting the core
// while the first guest downloads. Once it has a boot manifest it starts the files the manifest
// names at once, so they are under way before the page has parsed it and asked for them.
// index.html starts this worker first thing, before the stylesheets and scripts load, and asks it
// to start the default guest's manifest ({prefetch: url}) before the page's script has run.
// A message {id, url, unpack} is answered with {id, received, total} as the bytes arrive, then
// {id, out, sections} (an ArrayBuffer, transferred; for a snapshot, its large sections already
// unpacked, see unpackSections) or {id, error: {kind, message}}.
const jobs = new Map();  // keyOf(url, unpack) -> a download started early, until claimed
const gz = (url) => /\.gz([?#].*)?$/.test(url);
function fail(kind, message) { return { kind, message }; }
// The file's bytes (unpacked while they arrive, when asked), counted into `job` as they come.
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
  let downloadError = null;  // set when the download itself fails, as opposed to the unpacking
  const counted = new ReadableStream({
    async pull(controller) {
      let step;
      try {
        step = await reader.read();
      } catch (e) {
        throw (downloadError = fail('interrupted', e.message || 'network error'));
      }
      if (step.done) {
        if (job.total && job.received !== job.total) {
          throw (downloadError = fail('incomplete', job.received + ' of ' + job.total + ' bytes'));
        }
        controller.close();
        return;
      }
      job.received += step.value.length;
      if (job.id !== null) postMessage({ id: job.id, received: job.received, total: job.total });
      controller.enqueue(step.value);
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  });
  const stream = unpack ? counted.pipeThrough(new DecompressionStream('gzip')) : counted;
  try {
    return await new Response(stream).arrayBuffer();
  } catch (e) {
    throw downloadError || fail('gzip', e.message || 'corrupt data');
  }
}
// A snapshot's large sections, unpacked here while the main thread is busy starting the core
// (docs/snapshots.md: each section is one zlib stream): [{name, buffer}], or null when `out`
// is not a snapshot. A section that does not unpack to its stated length is left out (the core
// unpacks it and says what is wrong); so are sections too small to matter or too large to
// hold twice.
const kSnapshotMagic = [0x47, 0x56, 0x4d, 0x53, 0x4e, 0x41, 0x50, 0x00];  // "GVMSNAP\0"
const kUnpackHereMin = 256 << 10, kUnpackHereMax = 256 << 20;
async function unpackSections(out) {
  const b = new Uint8Array(out);
  if (b.length < 16 || !kSnapshotMagic.every((v, i) => b[i] === v) ||
      typeof DecompressionStream !== 'function') return null;
  const view = new DataView(out);
  const count = view.getUint32(12, true);
  const work = [];
  let pos = 16;
  for (let i = 0; i < count && i < 4096; i++) {
    if (pos + 1 > b.length) break;
    const n = b[pos];
    if (pos + 1 + n + 20 > b.length) break;
    const name = new TextDecoder().decode(b.subarray(pos + 1, pos + 1 + n));
    pos += 1 + n;
    const stored = Number(view.getBigUint64(pos + 4, true));
    const unpacked = Number(view.getBigUint64(pos + 12, true));
    pos += 20;
    if (stored > b.length - pos) break;
    if (unpacked >= kUnpackHereMin && unpacked <= kUnpackHereMax) {
      work.push(inflateSection(name, b.subarray(pos, pos + stored), unpacked));
    }
    pos += stored;
  }
  return (await Promise.all(work)).filter(Boolean);
}
async function inflateSection(name, stored, unpacked) {
  try {
    const out = new Uint8Array(unpacked);
    let at = 0;
    const reader = new Blob([stored]).stream().pipeThrough(new DecompressionStream('deflate')).getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (value.length > unpacked - at) {
        reader.cancel();
        return null;
      }
      out.set(value, at);
      at += value.length;
    }
    return at === unpacked ? { name, buffer: out.buffer } : null;
  } catch (e) {
    return null;
  }
}
// A download, started at once; a boot manifest's files are started as soon as it is in. Its
// `done` resolves to {out, sections} (sections: unpackSections').
function start(url, unpack, fromSnapshot = false) {
  const job = { id: null, received: 0, total: 0, done: null };
  job.done = body(job, url, unpack).then(async (out) => ({ out, sections: await unpackSections(out) }));
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
    const { out, sections } = await job.done;
    postMessage({ id, out, sections }, [out, ...(sections || []).map((x) => x.buffer)]);
  } catch (err) {
    postMessage({ id, error: err && err.kind ? err : fail('network', String(err)) });
  }
};
