#!/usr/bin/env node
// A small static file server for the GlassVM bundle, bound to 127.0.0.1.
//   node web/serve.mjs [--root DIR] [--port N] [--strict-port]
// Serves DIR (default: dist/ next to web/) on port N (default 8080). When that port is taken it
// falls back to a free port chosen by the system, unless --strict-port is given. Prints
// "GlassVM is running at http://127.0.0.1:PORT/" once listening.
import { createServer } from 'node:http';
import { createReadStream, promises as fs } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.elf': 'application/octet-stream',
  '.bin': 'application/octet-stream',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
};

function parseArgs(argv) {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const opts = { root: path.resolve(here, '..', 'dist'), port: 8080, strictPort: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--root') opts.root = path.resolve(value());
    else if (a === '--port') opts.port = Number(value());
    else if (a.startsWith('--port=')) opts.port = Number(a.slice(7));
    else if (a.startsWith('--root=')) opts.root = path.resolve(a.slice(7));
    else if (a === '--strict-port') opts.strictPort = true;
    else if (a === '-h' || a === '--help') {
      console.log('usage: node web/serve.mjs [--root DIR] [--port N] [--strict-port]');
      process.exit(0);
    } else throw new Error(`unknown option ${a}`);
  }
  if (!Number.isInteger(opts.port) || opts.port < 0 || opts.port > 65535) {
    throw new Error('--port must be a number from 0 to 65535');
  }
  return opts;
}

function send(res, status, text) {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

function makeHandler(root) {
  return async (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'method not allowed\n');
    let pathname;
    try {
      pathname = decodeURIComponent(new URL(req.url, 'http://localhost').pathname);
    } catch {
      return send(res, 400, 'bad request\n');
    }
    if (pathname.includes('\0')) return send(res, 400, 'bad request\n');
    let file = path.join(root, path.normalize(pathname));
    if (file !== root && !file.startsWith(root + path.sep)) return send(res, 403, 'forbidden\n');
    try {
      let stat = await fs.stat(file);
      if (stat.isDirectory()) {
        file = path.join(file, 'index.html');
        stat = await fs.stat(file);
      }
      if (!stat.isFile()) return send(res, 404, 'not found\n');
      res.writeHead(200, {
        'Content-Type': MIME[path.extname(file).toLowerCase()] || 'application/octet-stream',
        'Content-Length': stat.size,
        'Cache-Control': 'no-cache',
        'X-Content-Type-Options': 'nosniff',
      });
      if (req.method === 'HEAD') return res.end();
      createReadStream(file).on('error', () => res.destroy()).pipe(res);
    } catch {
      send(res, 404, 'not found\n');
    }
  };
}

function listen(server, port) {
  return new Promise((resolve, reject) => {
    const onError = (e) => { server.off('listening', onListening); reject(e); };
    const onListening = () => { server.off('error', onError); resolve(server.address().port); };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, '127.0.0.1');
  });
}

async function main() {
  let opts;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (e) {
    console.error(`serve.mjs: ${e.message}`);
    process.exit(2);
  }
  try {
    await fs.access(path.join(opts.root, 'index.html'));
  } catch {
    console.error(`serve.mjs: ${opts.root} has no index.html (build the web preset first: scripts/run)`);
    process.exit(1);
  }
  const server = createServer(makeHandler(opts.root));
  let port;
  try {
    port = await listen(server, opts.port);
  } catch (e) {
    if (e.code !== 'EADDRINUSE' || opts.strictPort) {
      console.error(`serve.mjs: cannot listen on 127.0.0.1:${opts.port}: ${e.message}`);
      process.exit(1);
    }
    port = await listen(server, 0);
    console.error(`serve.mjs: port ${opts.port} is in use; using ${port} instead`);
  }
  console.log(`GlassVM is running at http://127.0.0.1:${port}/`);
  const stop = () => server.close(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main();
