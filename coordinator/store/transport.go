package store

import (
	"fmt"
	"net"
	"time"

	"github.com/hashicorp/raft"
)

// tcpStreamLayer is the plain TCP raft.StreamLayer: a listener plus a dialer.
// Config.StreamLayer replaces it (mutual TLS wraps the same two halves).
type tcpStreamLayer struct {
	net.Listener
	advertise net.Addr
}

// listenTCP binds addr. advertise, when non-empty, is the address other
// nodes dial; otherwise the listener's real address is used.
func listenTCP(addr, advertise string) (*tcpStreamLayer, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen for raft on %s: %w", addr, err)
	}
	adv := ln.Addr()
	if advertise != "" {
		a, err := net.ResolveTCPAddr("tcp", advertise)
		if err != nil {
			ln.Close()
			return nil, fmt.Errorf("resolve raft advertise address %s: %w", advertise, err)
		}
		adv = a
	}
	if err := checkAdvertise(adv.String()); err != nil {
		ln.Close()
		return nil, err
	}
	return &tcpStreamLayer{Listener: ln, advertise: adv}, nil
}

// Addr is the advertised address.
func (t *tcpStreamLayer) Addr() net.Addr { return t.advertise }

// Dial opens a connection to another node's Raft transport.
func (t *tcpStreamLayer) Dial(address raft.ServerAddress, timeout time.Duration) (net.Conn, error) {
	d := net.Dialer{Timeout: timeout}
	return d.Dial("tcp", string(address))
}
