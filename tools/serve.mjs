// A static file server for the page (make demo), its tests and its benchmark, on
// 127.0.0.1 (a secure context for getUserMedia). Whatever a tab sends, the server answers
// and keeps serving: a request it cannot parse gets 400, a path outside the root 404.
import { createServer } from 'node:http';
import { readFile, realpath } from 'node:fs/promises';
import { extname, resolve, sep } from 'node:path';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.svg': 'image/svg+xml',
  '.y4m': 'video/x-yuv4mpeg',
  '.tflite': 'application/octet-stream',
};

/// The file under `root` that a request's URL names, or the HTTP status refusing it:
/// 400 for what cannot be parsed, 404 for anything outside the root.
export async function fileFor(root, url) {
  let pathname;
  try {
    pathname = decodeURIComponent(new URL(url, 'http://localhost').pathname);
  } catch {
    return { status: 400 };
  }
  if (!url.startsWith('/') || pathname.includes('\0')) return { status: 400 };
  if (pathname.endsWith('/')) pathname += 'index.html';
  const base = await realpath(root);
  // Resolved twice: once by name (`..`, `\`), once through symlinks.
  const named = resolve(base, '.' + pathname.replaceAll('\\', '/'));
  if (!named.startsWith(base + sep)) return { status: 404 };
  try {
    const real = await realpath(named);
    return real.startsWith(base + sep) ? { path: real } : { status: 404 };
  } catch {
    return { status: 404 };
  }
}

function reply(res, status, body = '', type = 'text/plain; charset=utf-8') {
  res.writeHead(status, { 'content-type': type, 'x-content-type-options': 'nosniff' });
  res.end(body);
}

/// Serves `root` on a free port (tests).
export function serve(root) {
  return serveOn(root, 0);
}

/// Serves `root` on `port` of 127.0.0.1.
export function serveOn(root, port) {
  const server = createServer(async (req, res) => {
    try {
      if (req.method !== 'GET' && req.method !== 'HEAD') return reply(res, 405, 'only GET and HEAD');
      const found = await fileFor(root, req.url ?? '');
      if (found.status) return reply(res, found.status, found.status === 400 ? 'bad request' : 'not found');
      const body = await readFile(found.path).catch(() => null);
      if (body === null) return reply(res, 404, 'not found');
      reply(res, 200, req.method === 'HEAD' ? '' : body, TYPES[extname(found.path)] ?? 'application/octet-stream');
    } catch {
      if (!res.headersSent) reply(res, 500, 'server error');
      else res.destroy();
    }
  });
  // CONNECT never reaches the request handler: without this Node drops the connection
  // with no answer at all.
  server.on('connect', (_req, socket) => {
    socket.on('error', () => socket.destroy());
    socket.end('HTTP/1.1 405 Method Not Allowed\r\nconnection: close\r\n\r\n');
  });
  // Requests Node cannot even parse: answer 400 and drop the connection, never exit.
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n');
    else socket.destroy();
  });
  return new Promise((resolvePromise) => {
    server.listen(port, '127.0.0.1', () => {
      resolvePromise({
        url: `http://127.0.0.1:${server.address().port}/`,
        port: server.address().port,
        close: () => new Promise((done) => { server.closeAllConnections?.(); server.close(done); }),
      });
    });
  });
}

// `node tools/serve.mjs DIR PORT`: serve until interrupted (make demo).
if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/.*\//, '/'))) {
  const [dir = 'www', port = '8080'] = process.argv.slice(2);
  const server = await serveOn(dir, Number(port));
  console.log(`mcupatch demo: ${server.url}  (Ctrl-C to stop)`);
}
