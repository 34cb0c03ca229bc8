package brokertest

import (
	"net"
	"sync"
	"testing"
)

// Proxy is a loopback TCP proxy in front of a broker. Cutting it drops its
// clients' connections without an MQTT DISCONNECT, which is what a crashed
// process or a pulled cable looks like to the broker: the Last Will fires.
type Proxy struct {
	target string
	l      net.Listener

	mu     sync.Mutex
	conns  []net.Conn
	cut    bool
	frozen chan struct{} // non-nil while frozen; closed by Cut
}

// NewProxy listens on a free loopback port and forwards to target
// (host:port). It is closed at the end of the test.
func NewProxy(tb testing.TB, target string) *Proxy {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("brokertest: proxy: %v", err)
	}
	p := &Proxy{target: target, l: l}
	go p.accept()
	tb.Cleanup(p.Cut)
	return p
}

// URL is the tcp:// URL clients dial instead of the broker's.
func (p *Proxy) URL() string { return "tcp://" + p.l.Addr().String() }

func (p *Proxy) accept() {
	for {
		c, err := p.l.Accept()
		if err != nil {
			return
		}
		up, err := net.Dial("tcp", p.target)
		if err != nil {
			_ = c.Close()
			continue
		}
		p.mu.Lock()
		if p.cut {
			p.mu.Unlock()
			_ = c.Close()
			_ = up.Close()
			return
		}
		p.conns = append(p.conns, c, up)
		p.mu.Unlock()
		go p.pipe(c, up)
		go p.pipe(up, c)
	}
}

func (p *Proxy) pipe(dst, src net.Conn) {
	defer func() { _ = dst.Close(); _ = src.Close() }()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			p.mu.Lock()
			frozen := p.frozen
			p.mu.Unlock()
			if frozen != nil {
				<-frozen // until Cut: the bytes are never delivered
				return
			}
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// Freeze stops forwarding without closing anything: a network partition.
// Neither side notices until its keep-alive runs out, so the broker does
// not publish the client's Last Will for 1.5 keep-alive periods.
func (p *Proxy) Freeze() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.frozen == nil && !p.cut {
		p.frozen = make(chan struct{})
	}
}

// Cut closes every connection through the proxy and refuses new ones.
func (p *Proxy) Cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = true
	if p.frozen != nil {
		close(p.frozen)
		p.frozen = nil
	}
	_ = p.l.Close()
	for _, c := range p.conns {
		_ = c.Close()
	}
	p.conns = nil
}
