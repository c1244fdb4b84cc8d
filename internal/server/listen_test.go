package server

import (
	"errors"
	"log/slog"
	"net"
	"syscall"
	"testing"
)

func TestListenHTTPFallsBackOnlyWhenAskedAndTaken(t *testing.T) {
	t.Parallel()
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	logger := slog.New(slog.DiscardHandler)

	// Taken, no fallback: the bind error itself.
	if ln, err := listenHTTP(taken.Addr().String(), false, logger); !errors.Is(err, syscall.EADDRINUSE) {
		if ln != nil {
			ln.Close()
		}
		t.Errorf("without fallback: got %v, want address already in use", err)
	}
	// Taken, fallback: another port of the same host, bound.
	ln, err := listenHTTP(taken.Addr().String(), true, logger)
	if err != nil {
		t.Fatalf("with fallback: %v", err)
	}
	got := ln.Addr().(*net.TCPAddr)
	ln.Close()
	if want := taken.Addr().(*net.TCPAddr); got.Port == want.Port || !got.IP.Equal(want.IP) {
		t.Errorf("with fallback bound %s, want another port on %s", got, want.IP)
	}
	// Free (port 0 is always bindable): kept as asked, fallback or not.
	for _, fallback := range []bool{false, true} {
		ln, err := listenHTTP("127.0.0.1:0", fallback, logger)
		if err != nil {
			t.Fatalf("fallback %v on a free address: %v", fallback, err)
		}
		if host, _, _ := net.SplitHostPort(ln.Addr().String()); host != "127.0.0.1" {
			t.Errorf("fallback %v bound %s, want 127.0.0.1", fallback, ln.Addr())
		}
		ln.Close()
	}
}
