package harness

import (
	"bufio"
	"net"
	"os"
	"testing"
	"time"
)

// echoServer answers each line with the same line.
func echoServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				r := bufio.NewReader(c)
				for {
					line, err := r.ReadString('\n')
					if err != nil {
						return
					}
					if _, err := c.Write([]byte(line)); err != nil {
						return
					}
				}
			}()
		}
	}()
	return ln.Addr().String()
}

// roundTrip sends one line through addr and reports whether it came back.
func roundTrip(addr string) (time.Duration, bool) {
	start := time.Now()
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return 0, false
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := c.Write([]byte("ping\n")); err != nil {
		return 0, false
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	return time.Since(start), err == nil && line == "ping\n"
}

// TestProxyFaults: the proxy forwards, refuses a blocked source, refuses
// everything when down, and delays when asked to.
func TestProxyFaults(t *testing.T) {
	// The test process itself is the "node" connecting: identify it by
	// the owner of the connecting socket, as the cluster does.
	identify := func(remotePort, proxyPort int) string {
		if ino := socketInode(remotePort, proxyPort); ino != 0 && ownsSocket(os.Getpid(), ino) {
			return "self"
		}
		return ""
	}
	p, err := NewProxy("echo", identify)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	p.SetTarget(echoServer(t))

	steps := []struct {
		name  string
		apply func()
		want  bool
	}{
		{"forwards", func() {}, true},
		{"refuses a blocked source", func() { p.Block("self") }, false},
		{"forwards once unblocked", func() { p.Unblock("self") }, true},
		{"blocking another source changes nothing", func() { p.Block("other") }, true},
		{"refuses everything when down", func() { p.SetDown(true) }, false},
		{"forwards after healing", p.HealAll, true},
	}
	for _, s := range steps {
		s.apply()
		if _, got := roundTrip(p.Addr()); got != s.want {
			t.Errorf("%s: round trip succeeded=%v, want %v", s.name, got, s.want)
		}
	}
	p.SetLatency(100 * time.Millisecond)
	if d, ok := roundTrip(p.Addr()); !ok || d < 200*time.Millisecond {
		t.Errorf("with 100ms latency each way: round trip %s (ok=%v), want at least 200ms", d, ok)
	}
}
