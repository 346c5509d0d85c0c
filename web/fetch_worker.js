// The page's download worker (web/glassvm.js: download): fetches a file, reports its progress
// and unpacks it when asked, off the main thread, which is busy compiling and starting the core
// while the first guest downloads. Once it has a boot manifest it starts the files the manifest
// names at once, so they are under way before the page has parsed it and asked for them.
// index.html starts this worker first thing, before the stylesheets and scripts load.
// A message {id, url, unpack} is answered with {id, received, total} as the bytes arrive, then
// {id, out} (an ArrayBuffer, transferred) or {id, error: {kind, message}}.
const jobs = new Map();  // 'unpack url' -> a download, until the page claims it
const gz = (url) => /\.gz([?#].*)?$/.test(url);
function fail(kind, message) { return { kind, message }; }
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
  const chunks = [];
  for (;;) {
    let step;
    try {
      step = await reader.read();
    } catch (e) {
      throw fail('interrupted', e.message || 'network error');
    }
    if (step.done) break;
    chunks.push(step.value);
    job.received += step.value.length;
    if (job.id !== null) postMessage({ id: job.id, received: job.received, total: job.total });
  }
  if (job.total && job.received !== job.total) {
    throw fail('incomplete', job.received + ' of ' + job.total + ' bytes');
  }
  let out = await new Blob(chunks).arrayBuffer();
  if (unpack) {
    try {
      const stream = new Blob([out]).stream().pipeThrough(new DecompressionStream('gzip'));
      out = await new Response(stream).arrayBuffer();
    } catch (e) {
      throw fail('gzip', e.message || 'corrupt data');
    }
  }
  return out;
}
function start(url, unpack) {
  const job = { id: null, received: 0, total: 0, done: null };
  job.done = body(job, url, unpack);
  job.done.catch(() => {});
  return job;
}
// The files a boot manifest names, started at once (see glassvm.js: downloadBoot).
function prefetchParts(url, bytes) {
  for (const [key, job] of jobs) if (job.prefetched) jobs.delete(key);
  let m;
  try {
    m = JSON.parse(new TextDecoder().decode(bytes));
  } catch (e) {
    return;
  }
  for (const part of [m && m.kernel, m && m.initrd]) {
    if (typeof part !== 'string') continue;
    const partUrl = new URL(part, url).href;
    const job = start(partUrl, gz(partUrl));
    job.prefetched = true;
    jobs.set(gz(partUrl) + ' ' + partUrl, job);
  }
}
onmessage = async (e) => {
  const { id, url, unpack } = e.data;
  const key = unpack + ' ' + url;
  const job = jobs.get(key) || start(url, unpack);
  jobs.delete(key);
  job.id = id;
  if (job.received) postMessage({ id, received: job.received, total: job.total });
  try {
    const out = await job.done;
    if (/\.json([?#].*)?$/.test(url)) prefetchParts(url, out);
    postMessage({ id, out }, [out]);
  } catch (err) {
    postMessage({ id, error: err && err.kind ? err : fail('network', String(err)) });
  }
};
