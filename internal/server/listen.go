package server

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"syscall"
)

// listenHTTP binds the HTTP listener on addr. With fallback, an address
// whose port is taken (the bind itself fails with "address already in
// use") is replaced by a free port of the same host, which the kernel
// picks in the same bind: the port is never checked first and bound later,
// so two processes started at once cannot both think it free. The address
// file names the port bound.
func listenHTTP(addr string, fallback bool, logger *slog.Logger) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err == nil || !fallback || !errors.Is(err, syscall.EADDRINUSE) {
		return ln, err
	}
	host, _, splitErr := net.SplitHostPort(addr)
	if splitErr != nil {
		return nil, err
	}
	ln, err2 := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err2 != nil {
		return nil, fmt.Errorf("%w; a free port of %s: %w", err, host, err2)
	}
	logger.Warn("the HTTP address is taken, so ringd bound a free port (--http-addr-fallback)", "wanted", addr, "bound", ln.Addr().String())
	return ln, nil
}
