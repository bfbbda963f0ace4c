package realtime

import (
	"bufio"
	"net"
	"net/http"
	"sync"
)

// tunedWriter hands coder/websocket the connection it hijacks with the kernel send buffer set
// to Options.SendBuffer: it bounds the memory a connection holds in the kernel, and a peer that
// stops reading fills it, then the queue, and is closed with 4008 after kilobytes, not megabytes.
type tunedWriter struct {
	http.ResponseWriter
	sendBuffer int
	conn       net.Conn    // the hijacked socket, once hijacked
	cork       *corkWriter // what coder/websocket writes through, once hijacked (nil: straight to conn)
}

// WriteHeaderNow passes gin's header flush through (coder/websocket calls it before hijacking).
func (w *tunedWriter) WriteHeaderNow() {
	if g, ok := w.ResponseWriter.(interface{ WriteHeaderNow() }); ok {
		g.WriteHeaderNow()
	}
}

// The buffers coder/websocket reads and writes a connection through, held for its life. Client
// frames are few and small (auth, join, ping; a pong is a few bytes), so the read buffer is small:
// a larger frame takes another read. The write buffer holds a header and an event frame (350-450
// bytes), so a frame still goes out in one write; a bigger one (a rare replay of a long change
// list) takes two.
const (
	wsReadBuffer  = 128
	wsWriteBuffer = 512
)

// Hijack also swaps net/http's 4 KB read and write buffers for small ones (wsReadBuffer,
// wsWriteBuffer): an idle connection would hold 8 KB of them. The read buffer is kept when it
// holds bytes the client sent after the handshake.
func (w *tunedWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, brw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err != nil {
		return conn, brw, err
	}
	setSendBuffer(conn, w.sendBuffer)
	w.conn = conn
	r, wr := brw.Reader, brw.Writer
	if r.Buffered() == 0 {
		r = bufio.NewReaderSize(conn, wsReadBuffer)
	}
	if wr.Buffered() == 0 {
		w.cork = &corkWriter{Conn: conn}
		wr = bufio.NewWriterSize(w.cork, wsWriteBuffer)
	}
	return conn, bufio.NewReadWriter(r, wr), nil
}

// corkWriter is the socket as coder/websocket writes to it. While held, what is written gathers
// in a buffer and goes out in one write(2) on release: frames written back to back (a writer's
// run over several queued frames) cost one system call instead of one each, for every client.
// Writes from elsewhere meanwhile (a ping, a pong) join the gathered bytes: each is whole, as
// coder/websocket writes a frame under its own lock.
type corkWriter struct {
	net.Conn
	mu   sync.Mutex
	held *[]byte // from batchBuffers while held, so an idle connection keeps none
}

// Write gathers p while held, else writes it to the socket.
func (w *corkWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.held != nil {
		*w.held = append(*w.held, p...)
		return len(p), nil
	}
	return w.Conn.Write(p)
}

// hold starts gathering.
func (w *corkWriter) hold() {
	w.mu.Lock()
	defer w.mu.Unlock()
	buf := batchBuffers.Get().(*[]byte)
	*buf = (*buf)[:0]
	w.held = buf
}

// release writes what was gathered in one write and stops gathering.
func (w *corkWriter) release() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	buf := w.held
	w.held = nil
	defer batchBuffers.Put(buf)
	if len(*buf) == 0 {
		return nil
	}
	_, err := w.Conn.Write(*buf)
	*buf = (*buf)[:0]
	return err
}

func setSendBuffer(conn net.Conn, size int) {
	if tc, ok := conn.(interface{ SetWriteBuffer(int) error }); ok && size > 0 {
		_ = tc.SetWriteBuffer(size)
	}
}
