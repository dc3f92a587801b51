// A static file server for the page (make demo), its tests and its benchmark, on
// 127.0.0.1 (a secure context for getUserMedia).
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';

const TYPES = {
  '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript', '.css': 'text/css',
  '.wasm': 'application/wasm', '.png': 'image/png', '.jpg': 'image/jpeg', '.tflite': 'application/octet-stream',
};

/// Serves `root` on a free port (tests).
export function serve(root) {
  return serveOn(root, 0);
}

/// Serves `root` on `port` of 127.0.0.1.
export function serveOn(root, port) {
  const server = createServer(async (req, res) => {
    let path = normalize(decodeURIComponent(new URL(req.url, 'http://x').pathname)).replace(/^(\.\.[/\\])+/, '');
    if (path.endsWith('/')) path += 'index.html';
    try {
      const body = await readFile(join(root, path));
      res.writeHead(200, { 'content-type': TYPES[extname(path)] ?? 'application/octet-stream' });
      res.end(body);
    } catch {
      res.writeHead(404);
      res.end('not found');
    }
  });
  return new Promise((resolve) => {
    server.listen(port, '127.0.0.1', () => {
      resolve({ url: `http://127.0.0.1:${server.address().port}/`, close: () => server.close() });
    });
  });
}

// `node tools/serve.mjs DIR PORT`: serve until interrupted (make demo).
if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/.*\//, '/'))) {
  const [dir = 'www', port = '8080'] = process.argv.slice(2);
  const server = await serveOn(dir, Number(port));
  console.log(`mcupatch demo: ${server.url}  (Ctrl-C to stop)`);
}
