// The Socket.io reference of `make bench-compare`: the realtime design WorkspaceOps replaces,
// reduced to what bench/wsbench measures. HS256 JWT in socket.handshake.auth.token, a room per
// workspace joined by a `join` event (acknowledged with the room's last seq), and for the load
// generator's changes POST /broadcast?room=workspace:<id> (a JSON {event, data}; emitted to the
// room as an `event` shaped like a protocol v1 event frame) and GET /head?room=... (the last seq).
// Listens on 127.0.0.1 only. Env: JWT_SECRET (required, 32+ bytes), SIO_PORT (default 4791).
'use strict';
const crypto = require('node:crypto');
const http = require('node:http');
const { Server } = require('socket.io');
const jwt = require('jsonwebtoken');

const secret = process.env.JWT_SECRET ?? '';
if (secret.length < 32) {
  console.error('reference: JWT_SECRET (32+ bytes) is required');
  process.exit(2);
}
const port = Number(process.env.SIO_PORT ?? 4791);
// The key as a KeyObject, made once: given the string, jsonwebtoken 9 tries it as a public key
// first, and that failure (an exception) on every verification cost 6% of the reference's CPU.
const key = crypto.createSecretKey(Buffer.from(secret, 'utf8'));
const verify = (token) => jwt.verify(String(token ?? ''), key, { algorithms: ['HS256'] });
const seqs = new Map(); // room -> last seq emitted to it

const reply = (res, status, body) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body ?? {}));
};

const httpServer = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://127.0.0.1');
  if (url.pathname === '/readyz') return reply(res, 200);
  const room = url.searchParams.get('room') ?? '';
  if (!room.startsWith('workspace:')) return reply(res, 404);
  try {
    verify((req.headers.authorization ?? '').replace(/^Bearer /, ''));
  } catch {
    return reply(res, 401);
  }
  if (req.method === 'GET' && url.pathname === '/head') return reply(res, 200, { seq: seqs.get(room) ?? 0 });
  if (req.method !== 'POST' || url.pathname !== '/broadcast') return reply(res, 404);
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (chunk) => {
    body += chunk;
    if (body.length > 4096) req.destroy();
  });
  req.on('end', () => {
    let change;
    try {
      change = JSON.parse(body);
    } catch {
      return reply(res, 400);
    }
    const seq = (seqs.get(room) ?? 0) + 1;
    seqs.set(room, seq);
    const workspaceId = room.slice('workspace:'.length);
    io.to(room).emit('event', { type: 'event', workspaceId, seq, event: String(change.event), data: change.data ?? {} });
    reply(res, 200, { seq });
  });
});

const io = new Server(httpServer, { serveClient: false });
io.use((socket, next) => {
  try {
    socket.data.userId = verify(socket.handshake.auth?.token).sub;
    next();
  } catch {
    next(new Error('unauthorized'));
  }
});
io.on('connection', (socket) => {
  socket.on('join', (workspaceId, ack) => {
    if (typeof workspaceId !== 'string' || typeof ack !== 'function') return;
    const room = `workspace:${workspaceId}`;
    socket.join(room);
    ack({ seq: seqs.get(room) ?? 0 });
  });
});

httpServer.listen(port, '127.0.0.1', () => console.log(`reference: socket.io listening on 127.0.0.1:${port}`));

// Exit cleanly on a stop signal, so that node's --cpu-prof and --heap-prof write their files.
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(0));
