// The dev server under bad requests (`make test` runs this with `node --test`): every one
// gets an answer (400, 404 or 405), nothing outside the served folder leaks, the server
// keeps serving afterwards, and .wasm/.mjs go out with the types browsers require.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { mkdtemp, mkdir, writeFile, symlink, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve } from './serve.mjs';

let dir, root, server;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mcupatch-serve-'));
  root = join(dir, 'www');
  await mkdir(join(root, 'pkg'), { recursive: true });
  await writeFile(join(root, 'index.html'), '<p>page</p>');
  await writeFile(join(root, 'app.mjs'), 'export {};');
  await mkdir(join(root, 'app', 'panels'), { recursive: true });
  await writeFile(join(root, 'app', 'panels', 'view.js'), 'export {};');
  await writeFile(join(root, 'pkg', 'mcupatch_bg.wasm'), Buffer.from([0, 0x61, 0x73, 0x6d]));
  await writeFile(join(dir, 'secret.txt'), 'SECRET');
  await writeFile(join(dir, 'www-other'), 'SECRET');
  await symlink(join(dir, 'secret.txt'), join(root, 'link.txt'));
  server = await serve(root);
});

after(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

/// Sends `request` as raw bytes (no client-side URL clean-up) and returns the status line's
/// code and the whole response.
function raw(request) {
  return new Promise((resolve, reject) => {
    const socket = connect(server.port, '127.0.0.1');
    let data = '';
    socket.setTimeout(5000, () => reject(new Error(`no answer to ${JSON.stringify(request)}`)));
    socket.on('data', (d) => (data += d));
    socket.on('error', reject);
    socket.on('close', () => resolve({ status: Number(data.split(' ')[1]), text: data }));
    socket.write(request);
  });
}

const get = (target) => raw(`GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);

async function stillServing() {
  const res = await fetch(server.url);
  assert.equal(res.status, 200);
  assert.equal(await res.text(), '<p>page</p>');
}

test('malformed URLs get 400 and the server keeps serving', async () => {
  for (const target of ['/%', '/%E0%A4%A', '/%zz', '/a%', '/%00', '/index.html%00.png', '*', 'http://evil.example/']) {
    const res = await get(target);
    assert.equal(res.status, 400, target);
    await stillServing();
  }
});

test('requests Node cannot parse get 400 and the server keeps serving', async () => {
  for (const request of ['garbage\r\n\r\n', 'GET / HTTP/9.9\r\n\r\n', `GET /${'a'.repeat(100000)} HTTP/1.1\r\n\r\n`,
    'GET / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n', '\u0000\u0001\u0002\r\n\r\n']) {
    const res = await raw(request);
    assert.ok([400, 431, 505].includes(res.status), `${JSON.stringify(request.slice(0, 40))} → ${res.status}`);
    await stillServing();
  }
});

test('nothing outside the folder is served', async () => {
  for (const target of ['/../secret.txt', '/..%2fsecret.txt', '/%2e%2e/secret.txt', '/..%5csecret.txt',
    '/pkg/../../secret.txt', '/../www-other', '/link.txt', '//etc/passwd', '/%2fetc%2fpasswd', '/missing.html']) {
    const res = await get(target);
    assert.equal(res.status, 404, target);
    assert.ok(!res.text.includes('SECRET'), target);
  }
  await stillServing();
});

test('only GET and HEAD', async () => {
  const res = await raw('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
  assert.equal(res.status, 405);
  const head = await fetch(server.url, { method: 'HEAD' });
  assert.equal(head.status, 200);
  // CONNECT bypasses the request handler: it got no answer at all, the connection just closed.
  const tunnel = await raw('CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n');
  assert.equal(tunnel.status, 405);
  await stillServing();
});

test('wasm and module types', async () => {
  const wasm = await fetch(`${server.url}pkg/mcupatch_bg.wasm`);
  assert.equal(wasm.headers.get('content-type'), 'application/wasm');
  const mjs = await fetch(`${server.url}app.mjs`);
  assert.match(mjs.headers.get('content-type'), /^text\/javascript/);
  // The page's modules live in subfolders (www/app/panels/).
  const nested = await fetch(`${server.url}app/panels/view.js`);
  assert.equal(nested.status, 200);
  assert.match(nested.headers.get('content-type'), /^text\/javascript/);
  const dirIndex = await fetch(`${server.url}pkg/`);
  assert.equal(dirIndex.status, 404);
});
