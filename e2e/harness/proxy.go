package harness

import (
	"io"
	"net"
	"sync"
	"time"
)

// Proxy is a fault-injecting TCP proxy on a loopback port in front of one
// node's Raft port. The node advertises the proxy's address, so every Raft
// connection to the node passes through it. Faults:
//   - Block(src): refuse and cut connections that come from node src (a
//     one-way cut of src → this node; a partition blocks both ways);
//   - SetDown: refuse and cut every connection;
//   - SetLatency: delay every chunk in both directions.
//
// The source of a connection is told by Identify (the owner of the
// connecting socket, see srcpid.go); unknown sources are let through.
type Proxy struct {
	// Name is the node the proxy fronts.
	Name string
	ln   net.Listener

	mu       sync.Mutex
	target   string
	blocked  map[string]bool
	down     bool
	latency  time.Duration
	links    map[*link]struct{}
	identify func(remotePort, proxyPort int) string
	closed   bool
	wg       sync.WaitGroup
}

// link is one proxied connection.
type link struct {
	src         string
	client, srv net.Conn
}

func (l *link) close() {
	_ = l.client.Close()
	if l.srv != nil {
		_ = l.srv.Close()
	}
}

// NewProxy listens on a free loopback port. identify may be nil.
func NewProxy(name string, identify func(remotePort, proxyPort int) string) (*Proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, errorf("proxy for %s: listen: %w", name, err)
	}
	p := &Proxy{Name: name, ln: ln, blocked: map[string]bool{}, links: map[*link]struct{}{}, identify: identify}
	p.wg.Add(1)
	go p.accept()
	return p, nil
}

// Addr is the address the node advertises (host:port).
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// SetTarget points the proxy at the node's real Raft address.
func (p *Proxy) SetTarget(addr string) {
	p.mu.Lock()
	p.target = addr
	p.mu.Unlock()
}

// Block cuts src → this node until Unblock.
func (p *Proxy) Block(src string) {
	p.mu.Lock()
	p.blocked[src] = true
	var cut []*link
	for l := range p.links {
		if l.src == src {
			cut = append(cut, l)
		}
	}
	p.mu.Unlock()
	for _, l := range cut {
		l.close()
	}
}

// Unblock lets src reach this node again.
func (p *Proxy) Unblock(src string) {
	p.mu.Lock()
	delete(p.blocked, src)
	p.mu.Unlock()
}

// HealAll removes every block and the down flag.
func (p *Proxy) HealAll() {
	p.mu.Lock()
	p.blocked = map[string]bool{}
	p.down = false
	p.mu.Unlock()
}

// SetDown refuses (true) or accepts (false) every connection.
func (p *Proxy) SetDown(down bool) {
	p.mu.Lock()
	p.down = down
	var cut []*link
	if down {
		for l := range p.links {
			cut = append(cut, l)
		}
	}
	p.mu.Unlock()
	for _, l := range cut {
		l.close()
	}
}

// SetLatency delays every chunk forwarded in either direction by d.
func (p *Proxy) SetLatency(d time.Duration) {
	p.mu.Lock()
	p.latency = d
	p.mu.Unlock()
}

// Close stops the proxy and cuts every connection.
func (p *Proxy) Close() {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	p.closed = true
	var cut []*link
	for l := range p.links {
		cut = append(cut, l)
	}
	p.mu.Unlock()
	_ = p.ln.Close()
	for _, l := range cut {
		l.close()
	}
	p.wg.Wait()
}

func (p *Proxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.wg.Add(1)
		go p.serve(c)
	}
}

// serve admits or refuses one connection and pipes it to the target.
func (p *Proxy) serve(c net.Conn) {
	defer p.wg.Done()
	src := ""
	if p.identify != nil {
		if a, ok := c.RemoteAddr().(*net.TCPAddr); ok {
			src = p.identify(a.Port, p.ln.Addr().(*net.TCPAddr).Port)
		}
	}
	p.mu.Lock()
	target, refuse := p.target, p.down || p.blocked[src] || p.closed
	p.mu.Unlock()
	if refuse || target == "" {
		_ = c.Close()
		return
	}
	srv, err := net.DialTimeout("tcp", target, time.Second)
	if err != nil {
		_ = c.Close()
		return
	}
	l := &link{src: src, client: c, srv: srv}
	p.mu.Lock()
	if p.down || p.blocked[src] || p.closed {
		p.mu.Unlock()
		l.close()
		return
	}
	p.links[l] = struct{}{}
	p.mu.Unlock()
	done := make(chan struct{}, 2)
	go func() { p.pipe(srv, c); done <- struct{}{} }()
	go func() { p.pipe(c, srv); done <- struct{}{} }()
	<-done
	l.close()
	<-done
	p.mu.Lock()
	delete(p.links, l)
	p.mu.Unlock()
}

// pipe copies from → to, delaying each chunk by the current latency.
func (p *Proxy) pipe(to, from net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := from.Read(buf)
		if n > 0 {
			p.mu.Lock()
			d := p.latency
			p.mu.Unlock()
			if d > 0 {
				time.Sleep(d) // the injected latency itself
			}
			if _, werr := to.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			if err != io.EOF {
				return
			}
			return
		}
	}
}
