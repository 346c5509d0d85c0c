// GlassVM page glue: starts the WebAssembly core (glassvm-core.js), wires the serial console to
// xterm.js, downloads guest images with a progress bar, accepts dropped or picked ELF files, and
// publishes the window.glassvm API used by tests and embedders.
//
// A guest is either one ELF file, or a boot manifest (NAME.json) naming a kernel, an optional
// initramfs and a command line, as `glassvm -kernel K -initrd I -append A` takes them:
//   {"kernel": "linux/Image.gz", "initrd": "linux/initramfs.cpio.gz", "append": "console=ttyS0"}
// Paths are relative to the manifest. Files ending in .gz are downloaded compressed and
// unpacked here (the initramfs too: the kernel then has nothing left to decompress). A
// manifest may also name a "snapshot" of the machine saved at its shell prompt
// (docs/snapshots.md): the page's default Linux starts from it, with the screen as it was, and
// boots from the kernel instead when the snapshot cannot be had (or with ?boot=1).
//
// URL parameters: ?guest=NAME_OR_URL (default linux; a bare name is looked up in guests/, and a
// name without an extension means guests/NAME.json), ?ram=MIB (memory size), ?paused=1 (start
// paused; the guest is loaded but does not run), ?device=MODEL (repeatable: -device arguments),
// ?disk=MIB (a blank disk) or ?disk=NAME_OR_URL (a raw disk image, e.g. the bundled
// disk.img.gz, an ext2 file system with a README; .gz is unpacked),
// ?lesson=ID (open a lesson of the Lessons panel: its devices and its guest, which is then the
// default guest instead of linux; the guest waits at its first instruction),
// ?jit=0 (run every instruction in the interpreter: the JIT, which translates hot guest code
// to WebAssembly, starts switched off; ?jit=1, the default, starts it on), ?boot=1 (boot the
// default Linux from its kernel rather than start it from its snapshot; so do ?ram=, ?device=
// and ?disk=, whose machine is not the one saved).
'use strict';

(function () {
  const params = new URLSearchParams(window.location.search);
  const $ = (id) => document.getElementById(id);
  const el = {
    canvas: $('canvas'),
    terminal: $('terminal'),
    consolePane: $('console-pane'),
    fileInput: $('file-input'),
    openFile: $('open-file'),
    saveSnapshot: $('save-snapshot'),
    share: $('share'),
    resetDisk: $('reset-disk'),
    saveDisk: $('save-disk'),
    shareLink: $('share-link'),
    messages: $('messages'),
    progress: $('progress'),
    progressBar: $('progress-bar'),
    progressLabel: $('progress-label'),
    status: $('status'),
    dropOverlay: $('drop-overlay'),
  };

  let core = null;             // the Emscripten module once its runtime is up
  let consoleText = '';        // everything the guest printed
  // Milestones of the start, in performance.now() ms (since navigation start), for timing():
  // this script ran, the core's runtime is up, the default guest is downloaded (and unpacked),
  // it is loaded into a machine, it printed its first output, and the panels' WebGL context was
  // created (at their first drawing, once the start is over: web/main_web.cpp). Beside them,
  // `prepared`: what the download worker did for the last snapshot loaded successfully
  // ({sections: the names of those it unpacked}).
  const timing = {
    scriptMs: performance.now(), coreReadyMs: null, guestDownloadedMs: null, guestLoadedMs: null,
    firstOutputMs: null, panelsMs: null, prepared: null,
  };
  const pendingInput = [];     // input typed before the core was up
  const earlyMessages = [];    // messages raised before the core was up
  const fatalMessages = [];    // messages about the core itself stopping (it cannot keep them)
  let coreDead = false;
  const utf8 = new TextEncoder();
  const consoleDecoder = new TextDecoder('utf-8');

  // ---------------------------------------------------------------- messages
  function addMessage(text) {
    if (coreDead) {
      fatalMessages.push(text);
    } else if (core) {
      withCString(text, (p) => core._glassvm_add_message(p));
    } else {
      earlyMessages.push(text);
    }
    renderMessages();
  }

  function messages() {
    if (!core || coreDead) return earlyMessages.concat(fatalMessages);
    return JSON.parse(core.UTF8ToString(core._glassvm_messages_json())).concat(fatalMessages);
  }

  const looksLikeError = /(error|fail|could not|cannot|can't|not an? |invalid|corrupt|missing|refused|too |outside|unsupported|must )/i;
  let renderedCount = -1;
  function renderMessages() {
    const list = messages();
    if (list.length === renderedCount) return;
    renderedCount = list.length;
    el.messages.textContent = '';
    list.forEach((text, i) => {
      const li = document.createElement('li');
      li.textContent = text;
      if (looksLikeError.test(text)) li.classList.add('error');
      if (i === list.length - 1) li.classList.add('latest');
      el.messages.appendChild(li);
    });
    el.messages.scrollTop = el.messages.scrollHeight;
  }

  // ---------------------------------------------------------------- core helpers
  function withCString(text, fn) {
    const size = core.lengthBytesUTF8(text) + 1;
    const p = core._malloc(size);
    try {
      core.stringToUTF8(text, p, size);
      return fn(p);
    } finally {
      core._free(p);
    }
  }

  function withBytes(bytes, fn) {
    const p = core._malloc(Math.max(1, bytes.length));
    if (!p) throw new Error('out of memory');
    try {
      core.HEAPU8.set(bytes, p);
      return fn(p, bytes.length);
    } finally {
      core._free(p);
    }
  }

  // Unpacked snapshot sections ([{name, length, chunks}], the worker's) stay here while the
  // core loads the snapshot: it asks for each piece as it reads it (copyHeld), and the piece
  // goes straight to where it belongs (guest RAM, a boot image) instead of through a buffer
  // of them all. withHeld passes the core their names and lengths as its
  // glassvm_load_snapshot_held wants them: u8 name length, name, u64 length.
  let heldSections = [];
  function withHeld(sections, fn) {
    const names = sections.map((x) => utf8.encode(x.name));
    const total = names.reduce((sum, name) => sum + 1 + name.length + 8, 0);
    const p = core._malloc(Math.max(1, total));
    if (!p) throw new Error('out of memory');
    try {
      const heap = core.HEAPU8;
      let at = p;
      sections.forEach((x, i) => {
        heap[at] = names[i].length;
        heap.set(names[i], at + 1);
        at += 1 + names[i].length;
        new DataView(heap.buffer).setBigUint64(at, BigInt(x.length), true);
        at += 8;
      });
      heldSections = sections.map((x) => {
        const starts = [];
        let from = 0;
        for (const chunk of x.chunks) {
          starts.push(from);
          from += chunk.byteLength;
        }
        return { chunks: x.chunks, starts, length: from };
      });
      return fn(p, total);
    } finally {
      heldSections = [];
      core._free(p);
    }
  }
  // The core's js_copy_held (web/exports.cpp): `size` bytes of held section `index` from
  // `offset` to `out` in its memory. 1 on success, 0 when there are no such bytes.
  function copyHeld(index, offset, out, size) {
    const x = heldSections[index];
    if (!x || offset < 0 || size < 0 || offset + size > x.length) return 0;
    const heap = core.HEAPU8;  // after any growth of the core's memory
    // The last chunk that starts at or before `offset`.
    let lo = 0;
    let hi = x.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (x.starts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    for (let i = lo; size > 0; i++) {
      const from = offset - x.starts[i];
      const n = Math.min(size, x.chunks[i].byteLength - from);
      heap.set(new Uint8Array(x.chunks[i], from, n), out);
      out += n;
      offset += n;
      size -= n;
    }
    return 1;
  }

  function coreJson(fnName, fallback) {
    if (!core || coreDead) return fallback;
    return JSON.parse(core.UTF8ToString(core[fnName]()));
  }

  // ---------------------------------------------------------------- terminal
  // This script runs before xterm.js and the core's glue (they are deferred in index.html), so
  // that the guest download starts as early as possible; the terminal is opened once they ran.
  let term = null;
  function openTerminal() {
    if (typeof window.Terminal !== 'function') throw new Error('The terminal (xterm.js) did not load');
    term = new window.Terminal({
      convertEol: true,  // the guests print bare \n line ends
      cursorBlink: true,
      fontFamily: 'ui-monospace, "DejaVu Sans Mono", "Liberation Mono", monospace',
      fontSize: 14,
      lineHeight: 1.2,  // room for underscores below the baseline
      scrollback: 5000,
      theme: { background: '#000000' },
    });
    term.open(el.terminal);
    batchWidthMeasures(term);
    term.onData((data) => sendInput(data));
    window.addEventListener('resize', scheduleFit);
    if (window.ResizeObserver) new ResizeObserver(scheduleFit).observe(el.terminal);
    // Sized now, before xterm's first drawing (its character size is measured by open()): one
    // drawing at the pane's size instead of one at 80x24 and another after the resize.
    fitTerminal();
  }
  // xterm.js's DOM renderer measures the width of each character the first time it draws it,
  // with one forced layout per character (WidthCache._measure): about 90 layouts, 40-60 ms of
  // the main thread when the screen of the snapshot is first drawn. This measures all of
  // printable ASCII in one layout at the first miss (again after a font change clears the
  // cache). It reaches into xterm's internals (6.0, pinned by package-lock.json); where they
  // are not as expected it changes nothing.
  function batchWidthMeasures(t) {
    const service = t._core && t._core._renderService;
    const renderer = service && service._renderer && service._renderer.value;
    const cache = renderer && renderer._widthCache;
    const model = cache && Array.isArray(cache._measureElements) && cache._measureElements[0];
    if (!model || typeof cache._measure !== 'function' || !(cache._flat instanceof Float32Array)) return;
    const kRepeat = 32;  // as WidthCache measures: the character repeated, the width divided
    const one = cache._measure.bind(cache);
    cache._measure = (c, variant) => {
      const code = c.length === 1 ? c.charCodeAt(0) : -1;
      if (variant !== 0 || code < 0x20 || code > 0x7e) return one(c, variant);
      const spans = [];
      for (let k = 0x20; k <= 0x7e; k++) {
        const span = model.cloneNode(false);
        span.textContent = String.fromCharCode(k).repeat(kRepeat);
        spans.push(span);
      }
      model.after(...spans);
      spans.forEach((span, i) => {
        const width = span.offsetWidth / kRepeat;
        if (width > 0) cache._flat[0x20 + i] = width;
      });
      for (const span of spans) span.remove();
      return cache._flat[code] > 0 ? cache._flat[code] : one(c, variant);
    };
  }
  // Deferred scripts have run when DOMContentLoaded fires.
  const deferredScriptsRan = new Promise((resolve) => {
    if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', resolve, { once: true });
    else resolve();
  });

  function fitTerminal() {
    let dims = null;
    try {  // xterm's internals (its renderer may not exist yet): no fit rather than a failed start
      dims = term._core && term._core._renderService && term._core._renderService.dimensions;
    } catch (e) {}
    const cell = dims && dims.css && dims.css.cell;
    if (!cell || !cell.width || !cell.height) return;
    const style = window.getComputedStyle(el.terminal);
    const w = el.terminal.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight) - 14;
    const h = el.terminal.clientHeight - parseFloat(style.paddingTop) - parseFloat(style.paddingBottom);
    const cols = Math.max(20, Math.floor(w / cell.width));
    const rows = Math.max(5, Math.floor(h / cell.height));
    if (cols !== term.cols || rows !== term.rows) term.resize(cols, rows);
  }
  let fitPending = false;
  function scheduleFit() {
    if (fitPending) return;
    fitPending = true;
    requestAnimationFrame(() => { fitPending = false; fitTerminal(); });
  }

  function onConsoleOutput(bytes) {
    if (timing.firstOutputMs === null) timing.firstOutputMs = performance.now();
    consoleText += consoleDecoder.decode(bytes, { stream: true });
    term.write(bytes);
  }

  function sendInput(text) {
    const bytes = typeof text === 'string' ? utf8.encode(text) : new Uint8Array(text);
    if (!core) {
      pendingInput.push(bytes);
      return;
    }
    withBytes(bytes, (p, n) => core._glassvm_send_input(p, n));
  }

  // ---------------------------------------------------------------- downloads
  function showProgress(label, fraction) {
    el.progress.hidden = false;
    el.progressLabel.textContent = label;
    if (fraction === null) el.progressBar.removeAttribute('value');
    else el.progressBar.value = fraction;
  }
  function hideProgress() { el.progress.hidden = true; }

  // The downloads under way, each {label, received, total}, shown as one progress bar.
  const transfers = new Set();
  function showTransfers() {
    if (transfers.size === 0) return hideProgress();
    let received = 0, total = 0, sized = true;
    for (const t of transfers) {
      received += t.received;
      total += t.total;
      sized = sized && t.total > 0;
    }
    const label = Array.from(transfers, (t) => t.label).join(', ');
    const kib = (n) => (n / 1024).toFixed(0);
    if (received === 0) showProgress(`Downloading ${label}…`, null);
    else if (sized) showProgress(`Downloading ${label}: ${kib(received)} of ${kib(total)} KiB`, Math.min(1, received / total));
    else showProgress(`Downloading ${label}: ${kib(received)} KiB`, null);
  }

  // Guest files are downloaded and unpacked in a worker (web/fetch_worker.js, started by
  // index.html before anything else loads). The main thread is busy compiling and starting the
  // core for the page's first half second, and a download read there waits for every turn that
  // takes: the bundled Linux arrived 300 ms after the core was ready. Where the worker cannot
  // run (or its script does not load), the downloads happen here instead.
  let fetchWorker = null;
  const fetchWaiting = new Map();  // id -> {url, label, unpack, transfer, resolve, reject}
  // The files the worker prefetched and sent before they were asked for, by fetchKey(url,
  // unpack): download() takes them from here, without asking.
  const fetchPushed = new Map();
  const fetchKey = (url, unpack) => `${!!unpack} ${url}`;
  let fetchNextId = 0;
  // The bytes of a worker's answer; a snapshot's sections the worker has unpacked ride along,
  // for loadSnapshot to hand to the core.
  function fetchedBytes(data) {
    const bytes = new Uint8Array(data.out);
    if (data.sections && data.sections.length) bytes.unpackedSections = data.sections;
    return bytes;
  }
  function startFetchWorker() {
    if (fetchWorker !== null) return fetchWorker;
    const early = window.glassvmFetchWorker;
    try {
      fetchWorker = early && !early.failed ? early : new Worker('fetch_worker.js');
    } catch (e) {
      fetchWorker = false;
      return fetchWorker;
    }
    const receive = (e) => {
      const d = e.data;
      if (d.id === undefined) {
        if (d.pushed) fetchPushed.set(fetchKey(d.url, d.unpack), d);
        return;
      }
      const waiter = fetchWaiting.get(d.id);
      if (!waiter) return;
      if (d.received !== undefined) {
        waiter.transfer.received = d.received;
        waiter.transfer.total = d.total;
        showTransfers();
        return;
      }
      fetchWaiting.delete(d.id);
      // {id, pushed}: the worker had sent the file unasked, before this request reached it.
      const key = fetchKey(waiter.url, waiter.unpack);
      const data = d.pushed ? fetchPushed.get(key) : d;
      if (d.pushed) fetchPushed.delete(key);
      if (!data) waiter.reject(fileError({ kind: 'network', message: 'the download worker lost it' }, waiter.label));
      else if (data.error !== undefined) waiter.reject(fileError(data.error, waiter.label));
      else waiter.resolve(fetchedBytes(data));
    };
    fetchWorker.onmessage = receive;
    // What the worker said before this script took it over (index.html keeps it).
    if (fetchWorker === early && Array.isArray(early.said)) for (const e of early.said.splice(0)) receive(e);
    fetchWorker.onerror = (e) => {  // its script did not load or failed: download here
      e.preventDefault();
      fetchWorker = false;
      const waiting = Array.from(fetchWaiting.values());
      fetchWaiting.clear();
      for (const w of waiting) downloadWithoutWorker(w.url, w.label, w.unpack).then(w.resolve, w.reject);
    };
    return fetchWorker;
  }
  function fileError({ kind, message }, label) {
    switch (kind) {
      case 'interrupted': return new Error(`Download of ${label} was interrupted: ${message}`);
      case 'incomplete': return new Error(`Download of ${label} is incomplete: ${message}`);
      case 'gzip': return new Error(`${label}: not a valid gzip file (${message})`);
      default: return new Error(`Could not download ${label}: ${message}`);
    }
  }

  // Downloads `url` with a progress bar (Content-Length, when the server sends it), unpacking it
  // when `unpack` is set; several downloads at once share the bar. Rejects with an Error whose
  // message is meant for the user.
  async function download(url, label, unpack = false) {
    if (unpack && typeof DecompressionStream !== 'function') {
      throw new Error(`${label}: this browser cannot unpack gzip files (no DecompressionStream)`);
    }
    const worker = startFetchWorker();
    if (!worker) return downloadWithoutWorker(url, label, unpack);
    const absolute = new URL(url, window.location.href).href;
    const key = fetchKey(absolute, unpack);
    const pushed = fetchPushed.get(key);
    if (pushed) {
      fetchPushed.delete(key);
      return fetchedBytes(pushed);
    }
    const transfer = { label, received: 0, total: 0 };
    transfers.add(transfer);
    showTransfers();
    try {
      return await new Promise((resolve, reject) => {
        const id = fetchNextId++;
        fetchWaiting.set(id, { url: absolute, label, unpack, transfer, resolve, reject });
        worker.postMessage({ id, url: absolute, unpack });
      });
    } finally {
      transfers.delete(transfer);
      showTransfers();
    }
  }
  async function downloadWithoutWorker(url, label, unpack) {
    const bytes = await downloadHere(url, label);
    return unpack ? gunzipHere(bytes, label) : bytes;
  }

  // download() on the main thread, where there is no worker.
  async function downloadHere(url, label) {
    const transfer = { label, received: 0, total: 0 };
    transfers.add(transfer);
    showTransfers();
    try {
      let response;
      try {
        response = await fetch(url, { cache: 'no-cache' });
      } catch (e) {
        throw new Error(`Could not download ${label}: ${e.message || 'network error'}`);
      }
      if (!response.ok) {
        throw new Error(`Could not download ${label}: HTTP ${response.status} ${response.statusText}`.trim());
      }
      const total = Number(response.headers.get('Content-Length')) || 0;
      transfer.total = total;
      if (!response.body || !response.body.getReader) {
        return new Uint8Array(await response.arrayBuffer());
      }
      const reader = response.body.getReader();
      const chunks = [];
      let received = 0;
      for (;;) {
        let step;
        try {
          step = await reader.read();
        } catch (e) {
          throw new Error(`Download of ${label} was interrupted: ${e.message || 'network error'}`);
        }
        if (step.done) break;
        chunks.push(step.value);
        received += step.value.length;
        transfer.received = received;
        showTransfers();
      }
      if (total && received !== total) {
        throw new Error(`Download of ${label} is incomplete: ${received} of ${total} bytes`);
      }
      const out = new Uint8Array(received);
      let at = 0;
      for (const c of chunks) { out.set(c, at); at += c.length; }
      return out;
    } finally {
      transfers.delete(transfer);
      showTransfers();
    }
  }

  function guestUrl(nameOrUrl) {
    if (/[/:]/.test(nameOrUrl)) return nameOrUrl;
    const file = /\./.test(nameOrUrl) ? nameOrUrl : `${nameOrUrl}.json`;
    return `guests/${encodeURIComponent(file)}`;
  }
  const isManifest = (url) => /\.json([?#].*)?$/.test(url);

  // gunzip on the main thread, where there is no worker.
  async function gunzipHere(bytes, label) {
    try {
      const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'));
      return new Uint8Array(await new Response(stream).arrayBuffer());
    } catch (e) {
      throw new Error(`${label}: not a valid gzip file (${e.message || 'corrupt data'})`);
    }
  }

  // Downloads `url`, unpacking it when its path ends in .gz.
  function downloadUnpacked(url, label) {
    return download(url, label, /\.gz([?#].*)?$/.test(url));
  }

  // Downloads one file a manifest names (relative to the manifest), unpacking .gz files.
  function downloadPart(manifestUrl, path) {
    const url = new URL(path, new URL(manifestUrl, window.location.href)).href;
    return downloadUnpacked(url, guestLabel(path));
  }

  // Reads a boot manifest and downloads what it names: {kernel, initrd, append}.
  async function downloadBoot(url, manifestBytes, label) {
    let m;
    try {
      m = JSON.parse(new TextDecoder().decode(manifestBytes));
    } catch (e) {
      throw new Error(`${label}: not a valid guest manifest (${e.message})`);
    }
    if (!m || typeof m.kernel !== 'string' || (m.initrd !== undefined && typeof m.initrd !== 'string') ||
        (m.append !== undefined && typeof m.append !== 'string')) {
      throw new Error(`${label}: a guest manifest needs "kernel" (and optional "initrd", "append") strings`);
    }
    // Both at once (the progress bar sums them); each is unpacked as soon as it has arrived.
    const [kernel, initrd] = await Promise.all([
      downloadPart(url, m.kernel),
      m.initrd ? downloadPart(url, m.initrd) : Promise.resolve(null),
    ]);
    return { kernel, initrd, append: m.append || '' };
  }

  // Downloads a guest: an ELF ({bytes}) or a manifest's files ({boot: {kernel, initrd, append}}).
  // With `fromSnapshot`, a manifest that names a snapshot (the machine saved at its prompt) gives
  // {snapshot, fallback}, where fallback() downloads the boot files after all; a snapshot that
  // does not download is reported and the boot files are downloaded instead.
  async function downloadGuest(nameOrUrl, fromSnapshot = false) {
    const url = guestUrl(nameOrUrl);
    const label = guestLabel(nameOrUrl);
    const bytes = await download(url, label);
    if (!isManifest(url)) return { bytes };
    const snapshot = fromSnapshot ? manifestSnapshot(bytes) : null;
    if (snapshot !== null) {
      try {
        return { snapshot: await downloadPart(url, snapshot), snapshotLabel: guestLabel(snapshot),
                 fallback: () => downloadBoot(url, bytes, label) };
      } catch (e) {
        addMessage(`${e.message}; booting ${label} from scratch instead`);
      }
    }
    return { boot: await downloadBoot(url, bytes, label) };
  }
  // The snapshot a manifest names, or null.
  function manifestSnapshot(manifestBytes) {
    try {
      const m = JSON.parse(new TextDecoder().decode(manifestBytes));
      return m && typeof m.snapshot === 'string' ? m.snapshot : null;
    } catch (e) {
      return null;  // downloadBoot reports a bad manifest
    }
  }

  // Loads a download; with `bundled` (a guest of the page's own, by name) share links name it
  // rather than carry it.
  function loadDownloaded(got, name, bundled = false) {
    const result = got.snapshot ? loadSnapshot(got.snapshot, name)
      : got.boot ? loadBoot(got.boot, name) : loadElf(got.bytes, name);
    if (result.ok && bundled) core._glassvm_mark_guest_bundled();
    return result;
  }
  const isBundledName = (nameOrUrl) => !/[/:]/.test(nameOrUrl);
  function guestLabel(nameOrUrl) {
    const last = nameOrUrl.split(/[/?#]/).filter(Boolean).pop();
    return last || nameOrUrl;
  }

  // Downloads and runs a guest; failures become page messages. Resolves to {ok, error}.
  const downloading = new Set();
  async function loadGuestFromUrl(nameOrUrl) {
    const label = guestLabel(nameOrUrl);
    if (downloading.has(label)) return { ok: false, error: `${label} is already downloading` };
    downloading.add(label);
    try {
      return loadDownloaded(await downloadGuest(nameOrUrl), label, isBundledName(nameOrUrl));
    } catch (e) {
      addMessage(e.message);
      return { ok: false, error: e.message };
    } finally {
      downloading.delete(label);
    }
  }

  // ---------------------------------------------------------------- loading ELF files
  // What loadElf and loadBoot share once their arguments are checked: `load` calls the core
  // (nonzero on success). Returns {ok, error}; a throw (out of memory copying the bytes in)
  // becomes a page message, and a refusal keeps the message the UI has already added. On
  // success a banner with `name` goes to the terminal.
  function runLoad(name, load) {
    let ok;
    try {
      ok = load();
    } catch (e) {
      const error = `${name}: could not be loaded (${e.message})`;
      addMessage(error);
      return { ok: false, error };
    }
    const error = ok ? '' : core.UTF8ToString(core._glassvm_last_error());
    if (ok) term.write(`\r\n\x1b[2m--- ${name} ---\x1b[0m\r\n`);
    // At the next frame: rebuilding the message list forces a layout, which the start from
    // the snapshot would otherwise wait for before its screen is drawn.
    requestAnimationFrame(() => {
      renderMessages();
      updateStatus();
    });
    return { ok: !!ok, error };
  }

  function loadElf(data, name) {
    name = String(name || 'guest.elf');
    if (!core) return { ok: false, error: 'GlassVM is still starting; try again in a moment' };
    let bytes;
    if (data instanceof Uint8Array) bytes = data;
    else if (data instanceof ArrayBuffer || ArrayBuffer.isView(data)) {
      bytes = data instanceof ArrayBuffer ? new Uint8Array(data)
                                          : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    } else {
      const error = `${name}: not a file (expected the bytes of a RISC-V ELF)`;
      addMessage(error);
      return { ok: false, error };
    }
    return runLoad(name, () =>
      withBytes(bytes, (p, n) => withCString(name, (np) => core._glassvm_load_elf(p, n, np))));
  }

  // Boots a kernel (a Linux Image or ELF), an optional initramfs and a command line with the
  // built-in SBI, as `glassvm -kernel -initrd -append` does.
  function loadBoot(boot, name) {
    name = String(name || 'kernel');
    if (!core) return { ok: false, error: 'GlassVM is still starting; try again in a moment' };
    const initrd = boot.initrd || new Uint8Array(0);
    return runLoad(name, () =>
      withBytes(boot.kernel, (kp, kn) => withBytes(initrd, (ip, inn) =>
        withCString(boot.append || '', (ap) => withCString(name, (np) =>
          core._glassvm_load_boot(kp, kn, ip, inn, ap, np))))));
  }

  // ---------------------------------------------------------------- snapshots
  // A snapshot (docs/snapshots.md) is the whole machine in one file, in the same format as the
  // command line's --snapshot-save, so either side loads the other's.
  const kSnapshotMagic = [0x47, 0x56, 0x4d, 0x53, 0x4e, 0x41, 0x50, 0x00];  // "GVMSNAP\0"
  function isSnapshot(bytes) {
    return bytes.length >= 8 && kSnapshotMagic.every((b, i) => bytes[i] === b);
  }

  // The running machine as a snapshot: {ok, bytes, error}.
  function saveSnapshot() {
    if (!core || coreDead) return { ok: false, bytes: null, error: 'GlassVM is not running' };
    const size = core._glassvm_save_snapshot();
    renderMessages();
    if (!size) return { ok: false, bytes: null, error: core.UTF8ToString(core._glassvm_last_error()) };
    const p = core._glassvm_snapshot_data();
    return { ok: true, bytes: core.HEAPU8.slice(p, p + size), error: '' };
  }

  // Offers `bytes` as a download named `name`.
  function downloadBytes(bytes, name) {
    const url = URL.createObjectURL(new Blob([bytes], { type: 'application/octet-stream' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = name;
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  }

  // Saves the machine and offers the file as a download.
  function downloadSnapshot(name = 'glassvm.snap') {
    const got = saveSnapshot();
    if (!got.ok) return got;
    downloadBytes(got.bytes, name);
    addMessage(`Saved a snapshot: ${name} (${got.bytes.length} bytes)`);
    return { ok: true, error: '', bytes: got.bytes };
  }

  function loadSnapshot(data, name) {
    name = String(name || 'snapshot');
    if (!core) return { ok: false, error: 'GlassVM is still starting; try again in a moment' };
    const bytes = data instanceof Uint8Array ? data
      : data instanceof ArrayBuffer ? new Uint8Array(data)
        : ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : null;
    if (bytes === null) {
      const error = `${name}: not a file (expected the bytes of a snapshot)`;
      addMessage(error);
      return { ok: false, error };
    }
    // The sections the download worker unpacked while the file arrived.
    const sections = bytes.unpackedSections || [];
    const result = runLoad(name, () =>
      withBytes(bytes, (p, n) => withCString(name, (np) => (sections.length
        ? withHeld(sections, (sp, sn) => core._glassvm_load_snapshot_held(p, n, np, sp, sn))
        : core._glassvm_load_snapshot(p, n, np)))));
    if (result.ok) {
      timing.prepared = { sections: sections.map((x) => x.name) };
      // The screen as it was when the snapshot was saved, after the banner.
      if (timing.guestLoadedMs === null) timing.guestLoadedMs = performance.now();
      onConsoleOutput(utf8.encode(core.UTF8ToString(core._glassvm_console_tail())));
    }
    return result;
  }

  async function loadFile(file) {
    if (!file) return { ok: false, error: 'no file' };
    let buffer;
    try {
      buffer = await file.arrayBuffer();
    } catch (e) {
      const error = `${file.name}: could not be read (${e.message})`;
      addMessage(error);
      return { ok: false, error };
    }
    const bytes = new Uint8Array(buffer);
    if (isLinkFile(bytes)) return openLink({ bytes, label: file.name });
    return isSnapshot(bytes) ? loadSnapshot(bytes, file.name) : loadElf(bytes, file.name);
  }

  // ---------------------------------------------------------------- share links
  // A link (docs/links.md) names the machine (guest, memory, devices, blank disk, JIT), how it
  // started (a boot, or the bundled snapshot), the input typed into it stamped with guest time,
  // and the state it reached: opening it builds that machine and replays the session to the
  // very same state. The page's URL carries it as #link=TEXT; a session too long for a URL is
  // a file (the same bytes, unencoded), opened like any other file.
  const kMaxLinkText = 32768;  // engine/board/machine_link.h's kMaxLinkText
  const kLinkMagic = [0x47, 0x56, 0x4d, 0x4c];  // "GVML"
  function isLinkFile(bytes) {
    return bytes.length >= 4 && kLinkMagic.every((b, i) => bytes[i] === b);
  }
  function linkFromHash(hash) {
    return hash.startsWith('#link=') ? hash.slice(6) : null;
  }

  // The running machine as a link: {ok, url, text, error}; a link too long for a URL is
  // offered as a file instead (fileOffered: true).
  function shareLink() {
    if (!core || coreDead) return { ok: false, error: 'GlassVM is not running' };
    const text = core.UTF8ToString(core._glassvm_share_link());
    renderMessages();
    if (!text) return { ok: false, error: core.UTF8ToString(core._glassvm_last_error()) };
    if (text.length > kMaxLinkText) {
      const p = core._glassvm_link_data();
      const bytes = core.HEAPU8.slice(p, p + core._glassvm_link_size());
      downloadBytes(bytes, 'glassvm-session.gvml');
      const error = `The link would be ${text.length} characters, more than the ${kMaxLinkText} ` +
        'a link may have: it was saved as a session file instead (open it here, or replay it with ' +
        'glassvm --replay FILE)';
      addMessage(error);
      return { ok: false, fileOffered: true, error };
    }
    const url = `${location.origin}${location.pathname}${location.search}#link=${text}`;
    el.shareLink.value = url;
    el.shareLink.hidden = false;
    el.shareLink.select();
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(url).then(
        () => addMessage(`Share link copied (${url.length} characters)`),
        () => addMessage(`Share link ready (${url.length} characters): copy it from the box`));
    } else {
      addMessage(`Share link ready (${url.length} characters): copy it from the box`);
    }
    return { ok: true, url, text, error: '' };
  }
  el.share.addEventListener('click', () => shareLink());

  // Opens a link: {text} (a URL, #link=..., or the base64url) or {bytes} (a session file).
  // `prefetched` is a download of the bundled Linux the page already has (its snapshot, if it
  // is the link's start). Resolves to {ok, error}; failures are page messages too.
  async function openLink(source, prefetched = null) {
    const label = source.label || 'link';
    const fail = (error) => {
      const message = `${label}: ${error}`;
      addMessage(message);
      return { ok: false, error: message };
    };
    if (!core || coreDead) return fail('GlassVM is still starting; try again in a moment');
    const info = JSON.parse(core.UTF8ToString(
      source.bytes ? withBytes(source.bytes, (p, n) => core._glassvm_parse_link(0, p, n))
        : withCString(String(source.text), (tp) => core._glassvm_parse_link(tp, 0, 0))));
    if (!info.ok) return fail(info.error);
    const snapshotStart = info.start === 'snapshot';
    let got = { boot: null, snapshot: null };
    if (info.guest) {
      try {
        got = prefetched && info.guest === 'linux' && (snapshotStart ? prefetched.snapshot : prefetched.boot)
          ? prefetched : await downloadGuest(info.guest, snapshotStart);
      } catch (e) {
        return fail(`the guest it names could not be had (${e.message})`);
      }
      if (snapshotStart && !got.snapshot) return fail(`${info.guest} has no snapshot to start from`);
      if (!snapshotStart && !got.boot && !got.bytes) return fail(`${info.guest} could not be had`);
    }
    const boot = got.boot || { kernel: got.bytes || new Uint8Array(0), initrd: null, append: '' };
    const empty = new Uint8Array(0);
    const result = runLoad(info.guest || 'shared program', () =>
      withBytes(snapshotStart ? empty : boot.kernel, (kp, kn) =>
        withBytes(snapshotStart ? empty : (boot.initrd || empty), (ip, inn) =>
          withCString(boot.append || '', (ap) =>
            withBytes(snapshotStart ? got.snapshot : empty, (sp, sn) =>
              core._glassvm_open_link(kp, kn, ip, inn, ap, sp, sn))))));
    if (!result.ok) return result;
    if (snapshotStart) onConsoleOutput(utf8.encode(core.UTF8ToString(core._glassvm_console_tail())));
    return result;
  }
  window.addEventListener('hashchange', () => {
    const text = linkFromHash(location.hash);
    if (text !== null && core) openLink({ text, label: 'link' });
  });

  el.saveSnapshot.addEventListener('click', () => downloadSnapshot());

  el.openFile.addEventListener('click', () => el.fileInput.click());
  el.fileInput.addEventListener('change', () => {
    const file = el.fileInput.files && el.fileInput.files[0];
    el.fileInput.value = '';  // choosing the same file again fires change again
    if (file) loadFile(file);
  });

  let dragDepth = 0;
  const hasFiles = (e) => e.dataTransfer && Array.from(e.dataTransfer.types || []).includes('Files');
  window.addEventListener('dragenter', (e) => {
    if (!hasFiles(e)) return;
    e.preventDefault();
    dragDepth++;
    el.dropOverlay.hidden = false;
  });
  window.addEventListener('dragover', (e) => {
    if (!hasFiles(e)) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = 'copy';
  });
  window.addEventListener('dragleave', () => {
    dragDepth = Math.max(0, dragDepth - 1);
    if (dragDepth === 0) el.dropOverlay.hidden = true;
  });
  window.addEventListener('drop', (e) => {
    e.preventDefault();
    dragDepth = 0;
    el.dropOverlay.hidden = true;
    const files = e.dataTransfer && e.dataTransfer.files;
    if (!files || files.length === 0) {
      addMessage('Nothing to load: drop a RISC-V ELF file or a snapshot');
      return;
    }
    if (files.length > 1) addMessage(`${files.length} files dropped; loading ${files[0].name} only`);
    loadFile(files[0]);
  });

  // ---------------------------------------------------------------- the disk
  // One disk (a virtio-blk device, /dev/vda in Linux) in the page's memory: a blank one of N MiB
  // or an image's bytes. It survives resets and machine changes with what the guest wrote.
  function reportDisk(ok) {
    renderMessages();
    return { ok: !!ok, error: ok ? '' : core.UTF8ToString(core._glassvm_last_error()) };
  }
  function setDisk(what, name) {
    if (!core) return { ok: false, error: 'GlassVM is still starting' };
    if (typeof what === 'number') return reportDisk(core._glassvm_set_blank_disk(what));
    let bytes = null;
    if (what instanceof Uint8Array) bytes = what;
    else if (what instanceof ArrayBuffer) bytes = new Uint8Array(what);
    else if (ArrayBuffer.isView(what)) bytes = new Uint8Array(what.buffer, what.byteOffset, what.byteLength);
    if (bytes === null) {
      const error = 'Disk: expected a size in MiB or the bytes of a raw disk image';
      addMessage(error);
      return { ok: false, error };
    }
    name = String(name || 'disk.img');
    try {
      return reportDisk(withBytes(bytes, (p, n) => withCString(name, (np) => core._glassvm_set_disk(p, n, np))));
    } catch (e) {
      const error = `Disk ${name}: could not be attached (${e.message})`;
      addMessage(error);
      return { ok: false, error };
    }
  }

  // ?disk=N (a blank disk of N MiB) or ?disk=NAME_OR_URL (an image; a bare name is looked up
  // in guests/, and .gz images are unpacked). Resolves to a number, {bytes, name} or {error}.
  function diskUrl(nameOrUrl) {
    return /[/:]/.test(nameOrUrl) ? nameOrUrl : `guests/${encodeURIComponent(nameOrUrl)}`;
  }
  async function downloadDisk(nameOrUrl) {
    const name = guestLabel(nameOrUrl).replace(/\.gz$/, '');
    return { bytes: await downloadUnpacked(diskUrl(nameOrUrl), guestLabel(nameOrUrl)), name };
  }
  // Sources of a kept disk's original bytes (attachKeptDisk): a blank disk of `mib` MiB (sizes
  // the core refuses are passed on for it to say so), or a download (the first copy is the
  // one already downloaded; a reset downloads it again).
  function blankDisk(mib) {
    return async () => new Uint8Array(Number.isFinite(mib) && mib > 0 && mib <= 4096 ? mib * 1048576 : 0);
  }
  function downloadedDisk(bytes, nameOrUrl) {
    let first = bytes;
    return async () => {
      if (first) {
        const b = first;
        first = null;
        return b;
      }
      return (await downloadDisk(nameOrUrl)).bytes;
    };
  }
  async function loadDiskFromUrl(nameOrUrl) {
    try {
      const got = await downloadDisk(nameOrUrl);
      return await attachKeptDisk(got.name, downloadedDisk(got.bytes, nameOrUrl));
    } catch (e) {
      addMessage(e.message);
      return { ok: false, error: e.message };
    }
  }

  // ---------------------------------------------------------------- the disk, kept
  // A disk the page is given (?disk=, loadDisk) persists across visits: the blocks the guest
  // writes go, every second and when the page is hidden, into the browser's IndexedDB under
  // the disk's key (its name, size and SHA-256), and attaching the same disk again puts them
  // back. "Reset disk" forgets them and reattaches the original; "Save disk" downloads the
  // disk as the guest left it.
  const kDiskDb = 'glassvm', kDiskStore = 'disk-blocks';
  let kept = null;  // {key, name, source: () => Promise<Uint8Array>} of the kept disk, or null
  let diskDbPromise = null;
  function diskDb() {
    if (!diskDbPromise) {
      diskDbPromise = new Promise((resolve, reject) => {
        if (!window.indexedDB) return reject(new Error('this browser has no IndexedDB'));
        const req = indexedDB.open(kDiskDb, 1);
        req.onupgradeneeded = () => req.result.createObjectStore(kDiskStore);
        req.onsuccess = () => resolve(req.result);
        req.onerror = () => reject(req.error || new Error('IndexedDB would not open'));
      });
      diskDbPromise.catch(() => {});
    }
    return diskDbPromise;
  }
  function idbDone(tx) {
    return new Promise((resolve, reject) => {
      tx.oncomplete = () => resolve();
      tx.onerror = tx.onabort = () => reject(tx.error || new Error('IndexedDB transaction failed'));
    });
  }
  const blockRange = (key) => IDBKeyRange.bound([key, 0], [key, Number.MAX_SAFE_INTEGER]);
  async function diskKey(name, bytes) {
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
    const hex = Array.from(digest.subarray(0, 8), (b) => b.toString(16).padStart(2, '0')).join('');
    return `${name}|${bytes.length}|${hex}`;
  }
  // The kept blocks of disk `key`: [{offset, bytes}].
  async function keptBlocks(key) {
    const db = await diskDb();
    const tx = db.transaction(kDiskStore, 'readonly');
    const store = tx.objectStore(kDiskStore);
    const [keys, values] = await Promise.all([store.getAllKeys(blockRange(key)), store.getAll(blockRange(key))]
      .map((req) => new Promise((resolve, reject) => {
        req.onsuccess = () => resolve(req.result);
        req.onerror = () => reject(req.error);
      })));
    return keys.map((k, i) => ({ offset: k[1], bytes: values[i] }));
  }
  // Attaches a disk that persists: `source()` gives its original bytes (a fresh copy each call).
  async function attachKeptDisk(name, source) {
    await syncDisk();
    const bytes = await source();
    let key = null;
    let restored = 0;
    try {
      key = await diskKey(name, bytes);
      for (const block of await keptBlocks(key)) {
        if (block.offset + block.bytes.length > bytes.length) continue;
        bytes.set(block.bytes, block.offset);
        restored += block.bytes.length;
      }
    } catch (e) {
      addMessage(`Disk ${name}: its changes will not be kept across visits (${e.message || e})`);
      key = null;
    }
    const result = setDisk(bytes, name);
    kept = result.ok && key ? { key, name, source } : null;
    if (result.ok && restored > 0) {
      addMessage(`Disk ${name}: put back ${Math.round(restored / 1024)} KiB the guest wrote in an ` +
                 'earlier visit (Reset disk forgets them)');
    }
    updateDiskButtons();
    return result;
  }
  // Moves the blocks written since the last call into IndexedDB. Resolves when they are stored.
  let syncing = Promise.resolve();
  function syncDisk() {
    syncing = syncing.then(async () => {
      if (!kept || !core || coreDead) return;
      const size = core._glassvm_disk_take_changes();
      if (!size) return;
      const p = core._glassvm_disk_changes_data();
      const records = core.HEAPU8.slice(p, p + size);
      const view = new DataView(records.buffer);
      const db = await diskDb();
      const tx = db.transaction(kDiskStore, 'readwrite');
      const store = tx.objectStore(kDiskStore);
      for (let at = 0; at < records.length;) {
        const offset = Number(view.getBigUint64(at, true));
        const length = view.getUint32(at + 8, true);
        store.put(records.slice(at + 12, at + 12 + length), [kept.key, offset]);
        at += 12 + length;
      }
      await idbDone(tx);
    }).catch((e) => addMessage(`Disk: could not keep the guest's writes (${e.message || e})`));
    return syncing;
  }
  setInterval(syncDisk, 1000);
  document.addEventListener('visibilitychange', () => { if (document.hidden) syncDisk(); });
  window.addEventListener('pagehide', () => syncDisk());

  // Forgets the kept disk's changes and attaches its original again (the machine restarts).
  async function resetDisk() {
    if (!kept) return { ok: false, error: 'No kept disk to reset' };
    const { key, name, source } = kept;
    await syncDisk();
    kept = null;
    try {
      const db = await diskDb();
      const tx = db.transaction(kDiskStore, 'readwrite');
      tx.objectStore(kDiskStore).delete(blockRange(key));
      await idbDone(tx);
    } catch (e) {
      addMessage(`Disk ${name}: could not forget its changes (${e.message || e})`);
    }
    const result = await attachKeptDisk(name, source);
    if (result.ok) addMessage(`Disk ${name}: reset to its original contents (machine restarted)`);
    return result;
  }
  // The disk as the guest left it, as a download.
  function saveDisk() {
    const d = coreJson('_glassvm_disk_json', { attached: false });
    if (!d.attached) return { ok: false, error: 'No disk is attached' };
    const p = core._glassvm_disk_data();
    const bytes = core.HEAPU8.slice(p, p + core._glassvm_disk_size());
    downloadBytes(bytes, d.name || 'disk.img');
    addMessage(`Saved the disk: ${d.name} (${bytes.length} bytes)`);
    return { ok: true, error: '', bytes };
  }
  function updateDiskButtons() {
    const attached = !!coreJson('_glassvm_disk_json', { attached: false }).attached;
    el.saveDisk.hidden = !attached;
    el.resetDisk.hidden = !kept;
  }
  el.resetDisk.addEventListener('click', () => resetDisk());
  el.saveDisk.addEventListener('click', () => saveDisk());

  // ---------------------------------------------------------------- status line
  function updateStatus() {
    if (!core || coreDead) return;
    const s = coreJson('_glassvm_state_json', null);
    if (!s) return;
    let what = s.exited ? `exited (${s.exitCode})` : s.paused ? 'paused' : s.running ? 'running' : 'idle';
    const r = coreJson('_glassvm_replay_json', null);
    if (r && r.playing) what += ` — replaying a shared session (${r.played}/${r.events} inputs)`;
    else if (r && r.finished) what += r.matched ? ' — replayed exactly' : ' — replay DIFFERED';
    const text = `${s.guest || 'no guest'} — ${what} — ${s.ramMiB} MiB`;
    if (el.status.textContent !== text) el.status.textContent = text;
  }

  // ---------------------------------------------------------------- starting the core
  // Emscripten's GLFW listens for keys on the whole window (capture phase) and cancels
  // Backspace and Tab; keys meant for the terminal must reach only xterm.js. Listeners the core
  // installs on window for keyboard events therefore skip events aimed at the console.
  function shieldConsoleKeys(install) {
    const original = window.addEventListener;
    window.addEventListener = function (type, listener, options) {
      if ((type === 'keydown' || type === 'keyup' || type === 'keypress') && typeof listener === 'function') {
        const inner = listener;
        listener = function (event) {
          if (el.consolePane.contains(event.target)) return undefined;
          return inner.call(this, event);
        };
      }
      return original.call(this, type, listener, options);
    };
    return install().finally(() => { window.addEventListener = original; });
  }

  // ---------------------------------------------------------------- running between frames
  // While the guest is busy the core asks (onGlassvmBusy) to run it between animation frames
  // too: one short slice per task, posted through a MessageChannel (no timer clamping), until
  // the core says the guest is idle. Input events and frames still get the thread between tasks.
  const pump = new MessageChannel();
  let pumping = false;
  pump.port1.onmessage = () => {
    // A hidden tab gets no frames, and the guest then waits with them (as before the pump).
    if (!core || coreDead || document.hidden || !core._glassvm_run_between_frames()) {
      pumping = false;
      return;
    }
    pump.port2.postMessage(0);
  };
  function startPump() {
    if (pumping || !core || coreDead) return;
    pumping = true;
    pump.port2.postMessage(0);
  }

  function startCore() {
    if (typeof window.createGlassVMCore !== 'function') {
      return Promise.reject(new Error('The GlassVM core (glassvm-core.js) did not load'));
    }
    return shieldConsoleKeys(() => new Promise((resolve, reject) => {
      const moduleArg = {
        canvas: el.canvas,
        onGlassvmConsole: onConsoleOutput,
        onGlassvmFatal: (text) => addMessage(text),
        onGlassvmFetchGuest: (name) => { loadGuestFromUrl(name); },
        onGlassvmOpenFile: () => el.fileInput.click(),
        onGlassvmBusy: () => startPump(),
        onGlassvmCopyHeld: copyHeld,
        onGlassvmPanels: () => { timing.panelsMs = performance.now(); },
        print: (text) => console.log(text),
        printErr: (text) => console.warn(text),
        onAbort: (what) => {
          const error = new Error(`The GlassVM core stopped: ${what}. Reload the page to start again.`);
          coreDead = true;
          fatalMessages.push(error.message);
          renderMessages();
          if (el.status) el.status.textContent = 'stopped';
          reject(error);
        },
        onRuntimeInitialized() {
          // main() has run and created the session before this fires.
          resolve(this);
        },
      };
      // The wasm index.html started compiling; if that failed (no streaming compile, a wrong
      // MIME type), it is fetched and compiled here. Only a failure of both stops the page.
      const early = window.glassvmCoreModule;
      if (early) {
        moduleArg.instantiateWasm = (imports, receive) => {
          early.catch(() => fetch('glassvm-core.wasm', { credentials: 'same-origin' })
            .then((r) => {
              if (!r.ok) throw new Error(`HTTP ${r.status}`);
              return r.arrayBuffer();
            })
            .then((bytes) => WebAssembly.compile(bytes)))
            .then((module) => WebAssembly.instantiate(module, imports)
              .then((instance) => receive(instance, module)))
            .catch((e) => moduleArg.onAbort(`glassvm-core.wasm did not load (${e.message || e})`));
          return {};
        };
      }
      window.createGlassVMCore(moduleArg).catch(reject);
    }));
  }

  // Resolves once `done()` is true (polled every 10 ms); rejects with `message` after timeoutMs.
  function waitFor(done, timeoutMs, message) {
    const start = performance.now();
    return new Promise((resolve, reject) => {
      const check = () => {
        if (done()) return resolve();
        if (performance.now() - start > timeoutMs) return reject(new Error(message));
        setTimeout(check, 10);
      };
      check();
    });
  }

  function waitForInstructions(timeoutMs) {
    const start = performance.now();
    return new Promise((resolve, reject) => {
      const check = () => {
        const s = coreJson('_glassvm_state_json', {});
        if (core._glassvm_instructions() > 0 || s.paused || s.exited) return resolve();
        if (performance.now() - start > timeoutMs) {
          return reject(new Error('The guest did not start running'));
        }
        setTimeout(check, 10);
      };
      check();
    });
  }

  const lessonParam = params.get('lesson');
  // With ?lesson= the lesson chooses the guest (once the core is up), unless ?guest= is given.
  const defaultGuest = params.get('guest') || (lessonParam === null ? 'linux' : null);
  // Start the guest download at once: before xterm.js and the core's glue have even run, and in
  // parallel with compiling the core.
  // The default Linux starts from its snapshot at the prompt unless the machine differs from
  // the one saved (?ram=, ?device=, ?disk=) or ?boot= asks for a boot (as index.html decides).
  const fromSnapshot = params.get('guest') === null && lessonParam === null &&
    !['boot', 'ram', 'device', 'disk'].some((p) => params.has(p));
  const guestBytes = defaultGuest === null ? Promise.resolve(null)
    : downloadGuest(defaultGuest, fromSnapshot).then((got) => got, (error) => ({ error }))
      .finally(() => { timing.guestDownloadedMs = performance.now(); });
  const diskParam = params.get('disk');
  const diskWanted = diskParam === null || /^\s*[\d.]+\s*$/.test(diskParam) ? null
    : downloadDisk(diskParam).then((got) => got, (error) => ({ error }));

  const ready = (async () => {
    try {
      await deferredScriptsRan;
      openTerminal();
      core = await startCore();
      timing.coreReadyMs = performance.now();
    } catch (e) {
      const msg = e.message || String(e);
      earlyMessages.push(msg);
      renderMessages();
      el.status.textContent = 'failed to start';
      throw e;
    }
    if (!core._glassvm_session_ready()) throw new Error('The GlassVM core started without a session');
    // The interpreter's warm-up (web/main_web.cpp: warm_up_interpreter): now, to overlap the
    // download of a guest that boots; after the restore for one that starts from a snapshot.
    if (!fromSnapshot) core._glassvm_warm_up();
    for (const m of earlyMessages.splice(0)) withCString(m, (p) => core._glassvm_add_message(p));
    for (const bytes of pendingInput.splice(0)) sendInput(bytes);
    setInterval(() => { renderMessages(); updateStatus(); }, 200);

    // ?jit=0: the JIT starts off (it is on by default; the Performance panel switches it).
    if (params.get('jit') === '1') core._glassvm_set_jit(1);
    if (params.get('jit') === '0') core._glassvm_set_jit(0);

    const ram = params.get('ram');
    if (ram !== null) {
      const n = Number(ram);
      if (!core._glassvm_set_ram_mib(n)) addMessage(`?ram=${ram}: ${core.UTF8ToString(core._glassvm_last_error())}`);
    }

    // ?device=riscv-iommu (repeatable): -device arguments for the machine, as on the command line.
    const devices = params.getAll('device');
    if (devices.length && !withCString(devices.join('\n'), (p) => core._glassvm_set_devices(p))) {
      addMessage(`?device=: ${core.UTF8ToString(core._glassvm_last_error())}`);
    }

    // ?disk=: attached before the guest is loaded, so that the guest's first machine has it.
    if (diskParam !== null) {
      const d = diskWanted ? await diskWanted : null;
      const result = d === null ? await attachKeptDisk(`blank ${Number(diskParam)} MiB`, blankDisk(Number(diskParam)))
        : d.error ? { ok: false, error: d.error.message }
          : await attachKeptDisk(d.name, downloadedDisk(d.bytes, diskParam));
      if (!result.ok) addMessage(`?disk=${diskParam}: ${result.error}`);
    }

    const got = await guestBytes;
    if (got && got.error) {
      addMessage(got.error.message);
      throw got.error;
    }
    // #link=: the shared machine instead of the default guest (which stays the fallback).
    const linkText = linkFromHash(location.hash);
    let linked = false;
    if (linkText !== null) {
      linked = (await openLink({ text: linkText, label: 'The link' }, got)).ok;
      if (linked && timing.guestLoadedMs === null) timing.guestLoadedMs = performance.now();
    }
    if (got && !linked) {
      let result = loadDownloaded(got, guestLabel(defaultGuest), isBundledName(defaultGuest));
      if (!result.ok && got.snapshot) {
        // A snapshot this build cannot load (damaged, another version): boot instead.
        addMessage(`${got.snapshotLabel}: ${result.error}; booting ${guestLabel(defaultGuest)} ` +
                   'from scratch instead');
        result = loadDownloaded({ boot: await got.fallback() }, guestLabel(defaultGuest),
                                isBundledName(defaultGuest));
      }
      if (!result.ok) throw new Error(result.error);
      if (timing.guestLoadedMs === null) timing.guestLoadedMs = performance.now();
      // Loading starts a guest unpaused; pausing in the same task means it has run nothing yet.
      if (params.get('paused') === '1') core._glassvm_pause();
    }
    if (lessonParam !== null) {
      const opened = openLesson(lessonParam);
      if (!opened.ok) {
        addMessage(`?lesson=${lessonParam}: ${opened.error}`);
        throw new Error(opened.error);
      }
      // The core asked the page to fetch the lesson's guest (onGlassvmFetchGuest).
      await waitFor(() => lessonState().state !== 'loading', 120000,
                    `The guest of lesson ${lessonParam} did not load`);
      timing.guestLoadedMs = performance.now();
    }
    if (fromSnapshot) setTimeout(() => core._glassvm_warm_up(), 250);
    await waitForInstructions(10000);
    updateStatus();
  })();
  ready.catch((e) => console.warn(`[glassvm] not ready: ${e.message || e}`));

  // ---------------------------------------------------------------- lessons
  const closedLesson = {
    id: null, title: '', step: 0, stepCount: 0, stepTitle: '', text: '', state: 'closed',
    waiting: false, stopped: false, lastStop: null,
  };
  function lessonState() { return coreJson('_glassvm_lesson_state_json', closedLesson); }
  function openLesson(id) {
    if (!core || coreDead) return { ok: false, error: 'GlassVM is still starting' };
    const ok = !!withCString(String(id), (p) => core._glassvm_open_lesson(p));
    renderMessages();
    return { ok, error: ok ? '' : core.UTF8ToString(core._glassvm_last_error()) };
  }

  // ---------------------------------------------------------------- the public API
  const call = (fnName) => () => { if (core) core[fnName](); };
  const withHex = (fnName) => (pcHex) => {
    if (!core) return false;
    return !!withCString(String(pcHex), (p) => core[fnName](p));
  };

  window.glassvm = {
    ready,
    state: () => coreJson('_glassvm_state_json', {
      running: false, paused: false, exited: false, exitCode: 0, guest: '', ramMiB: 0,
    }),
    consoleText: () => consoleText,
    sendInput: (text) => sendInput(String(text)),
    mtree: () => (core ? core.UTF8ToString(core._glassvm_mtree()) : ''),
    memoryMap: () => coreJson('_glassvm_memory_map_json', []),
    registers: () => coreJson('_glassvm_registers_json', null),
    // Each IOMMU notifier's delivered and skipped counts.
    iommuNotifiers: () => coreJson('_glassvm_iommu_notifiers_json', []),
    // Pause at the next IOMMU event (one-shot); iommuPausedAt() is its sequence number.
    pauseOnIommuEvent: (on = true) => { if (core) core._glassvm_set_pause_on_iommu_event(on ? 1 : 0); },
    iommuPausedAt: () => (core ? core._glassvm_iommu_paused_at() : 0),
    // IOMMU events after sequence number `since` (0: all still held), oldest first.
    iommuEvents: (since = 0) =>
      (core && !coreDead ? JSON.parse(core.UTF8ToString(core._glassvm_iommu_events_json(
        Number(since)))) : null),
    // The IOMMU's registers, device contexts (or endpoints) and fault history.
    iommuState: () => coreJson('_glassvm_iommu_state_json', null),
    // The mappings of `device` (a number; negative or undefined: every device).
    iommuMappings: (device = -1) =>
      (core && !coreDead ? JSON.parse(core.UTF8ToString(core._glassvm_iommu_mappings_json(
        device === null ? -1 : Number(device)))) : null),
    // The walk of `iova` (hex string) by `device` for 'read' or 'write' through the IOMMU's
    // tables as they are now (nothing cached or recorded), or null.
    translateIova: (device, iova, access = 'read') => {
      if (!core || coreDead) return null;
      return withCString(String(iova), (v) => withCString(String(access), (a) =>
        JSON.parse(core.UTF8ToString(core._glassvm_translate_iova_json(Number(device), v, a)))));
    },
    // The hart's page-table walk of `va` (hex string) for 'fetch', 'load' or 'store', or null.
    translate: (va, access = 'load') => {
      if (!core || coreDead) return null;
      return withCString(String(va), (v) => withCString(String(access), (a) =>
        JSON.parse(core.UTF8ToString(core._glassvm_translate_json(v, a)))));
    },
    // The Lessons panel: the catalog, opening one (its devices and guest), its state, and the
    // two buttons: run to the current step's event, go to the next step.
    lessons: () => coreJson('_glassvm_lessons_json', []),
    openLesson: (id) => openLesson(id),
    closeLesson: call('_glassvm_close_lesson'),
    lessonState: () => lessonState(),
    lessonRun: call('_glassvm_lesson_run'),
    lessonNext: call('_glassvm_lesson_next'),
    instructions: () => (core ? core._glassvm_instructions() : 0),
    ips: () => (core ? core._glassvm_ips() : 0),
    interpreterIps: () => (core ? core._glassvm_interpreter_ips() : 0),
    runFor: (ms) => (core ? core._glassvm_run_for(ms) : 0),
    pause: call('_glassvm_pause'),
    resume: call('_glassvm_resume'),
    step: call('_glassvm_step'),
    reset: call('_glassvm_reset'),
    addBreakpoint: withHex('_glassvm_add_breakpoint'),
    removeBreakpoint: withHex('_glassvm_remove_breakpoint'),
    loadElf: (bytes, name) => loadElf(bytes, name),
    saveSnapshot: () => saveSnapshot(),
    downloadSnapshot: (name) => downloadSnapshot(name),
    loadSnapshot: (bytes, name) => loadSnapshot(bytes, name),
    // {kernel: bytes, initrd: bytes (optional), append: string (optional)}
    loadKernel: (boot, name) => loadBoot(boot, name),
    loadGuest: (nameOrUrl) => loadGuestFromUrl(String(nameOrUrl)),
    // Share links (docs/links.md): the running machine as a link, {ok, url, text, error}; a
    // link or session file opened (resolves to {ok, error}); how the replay of the last one
    // opened goes; the machine's state hash (16 hex digits).
    shareLink: () => shareLink(),
    openLink: (textOrBytes) => openLink(typeof textOrBytes === 'string' ? { text: textOrBytes }
      : { bytes: new Uint8Array(textOrBytes) }),
    replay: () => coreJson('_glassvm_replay_json', { opened: false }),
    stateHash: () => (core && !coreDead ? core.UTF8ToString(core._glassvm_state_hash()) : ''),
    setRamMiB: (n) => {
      if (!core) return { ok: false, error: 'GlassVM is still starting' };
      const ok = !!core._glassvm_set_ram_mib(Number(n));
      renderMessages();
      return { ok, error: ok ? '' : core.UTF8ToString(core._glassvm_last_error()) };
    },
    // -device arguments (['riscv-iommu-sys', ...]); rebuilds the machine with the guest.
    setDevices: (list) => {
      if (!core) return { ok: false, error: 'GlassVM is still starting' };
      const ok = !!withCString(Array.from(list, String).join('\n'),
                               (p) => core._glassvm_set_devices(p));
      renderMessages();
      return { ok, error: ok ? '' : core.UTF8ToString(core._glassvm_last_error()) };
    },
    // The disk: setDisk(mib) attaches a blank disk, setDisk(bytes, name) an image (raw, a
    // whole number of 512-byte sectors, at most 256 MiB); removeDisk() detaches it; each
    // rebuilds the machine with its guest. loadDisk(nameOrUrl) downloads an image (.gz
    // unpacked) and attaches it. disk(): {attached, name, bytes, readOnly, bytesWritten}.
    setDisk: (what, name) => {
      syncDisk();
      const result = setDisk(what, name);
      if (result.ok) kept = null;  // a disk given as bytes lives in the page's memory only
      updateDiskButtons();
      return result;
    },
    removeDisk: () => {
      if (!core) return;
      syncDisk();
      kept = null;
      core._glassvm_remove_disk();
      renderMessages();
      updateDiskButtons();
    },
    // The kept disk (docs in web/README.md): its writes stored now (a Promise), reset to its
    // original (a Promise of {ok, error}), and its current bytes as a download ({ok, bytes}).
    syncDisk: () => syncDisk(),
    resetDisk: () => resetDisk(),
    saveDisk: () => saveDisk(),
    loadDisk: (nameOrUrl) => loadDiskFromUrl(String(nameOrUrl)),
    disk: () => coreJson('_glassvm_disk_json', { attached: false, name: '', bytes: 0, readOnly: false, bytesWritten: 0 }),
    messages: () => messages(),
    timing: () => JSON.parse(JSON.stringify(timing)),
    frameMs: () => (core ? core._glassvm_frame_ms() : 0),
    // The panels: [{name, open, shown, x, y, w, h}], rectangles in canvas pixels.
    panels: () => coreJson('_glassvm_panels_json', []),
    // Opens or closes a panel by its title ('IOMMU', 'CPU', ...); false for an unknown name.
    setPanelOpen: (name, open = true) => (core
      ? !!withCString(String(name), (p) => core._glassvm_set_panel_open(p, open ? 1 : 0))
      : false),
    // How many times the page has drawn its panels.
    drawCount: () => (core ? core._glassvm_draw_count() : 0),
    // While the guest is busy: how often the panels are drawn and the guest's share of the
    // wall clock (the page draws as often as leaves the guest about 85% of it).
    drawPacing: () => coreJson('_glassvm_draw_pacing_json', {intervalMs: 0, guestShare: 0}),
    // The JIT: jit() -> {enabled, available, why, installed, translations, compileMs,
    // modulesLive, codeBytes, evictions, invalidations, stepsJitted, entries, compileFailures,
    // steps}; setJit(on) switches it for this machine and later ones; jitTranslations() -> the
    // last translations [{seq, page, entries, riscv, wat, bytes, compileMs, truncated}].
    jit: () => coreJson('_glassvm_jit_json', null),
    setJit: (on = true) => { if (core && !coreDead) core._glassvm_set_jit(on ? 1 : 0); },
    jitTranslations: () => coreJson('_glassvm_jit_translations_json', []),
    // Selects IOMMU event `seq` in the IOMMU panel (0: none); false when it is not held.
    selectIommuEvent: (seq) => (core ? !!core._glassvm_select_iommu_event(Number(seq)) : false),
    selectedIommuEvent: () => (core ? core._glassvm_selected_iommu_event() : 0),
    // Host memory: the wasm heap's size and the guest RAM blocks it holds (fresh, reused).
    hostMemory: () => Object.assign({ heapBytes: core ? core.HEAPU8.length : 0 },
                                    coreJson('_glassvm_host_ram_json', {})),
  };
})();
