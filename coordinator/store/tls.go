package store

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"time"

	"github.com/hashicorp/raft"
)

// TLSStreamLayer is a raft.StreamLayer speaking mutual TLS 1.3: both sides
// present a certificate and verify the other's against the cluster CA, so
// a node without a certificate from that CA cannot join, vote or
// replicate. Dialing verifies the server's certificate for the host of the
// address dialed (an IP SAN or DNS name of the Raft advertise address).
type TLSStreamLayer struct {
	net.Listener
	advertise net.Addr
	client    *tls.Config
}

// MutualTLS holds a node's certificate and the CA it trusts.
type MutualTLS struct {
	Cert tls.Certificate
	CA   *x509.CertPool
}

// LoadMutualTLS reads a PEM certificate, its key and a PEM CA bundle.
func LoadMutualTLS(certFile, keyFile, caFile string) (MutualTLS, error) {
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return MutualTLS{}, fmt.Errorf("load certificate %s and key %s: %w", certFile, keyFile, err)
	}
	pool, err := LoadCAPool(caFile)
	if err != nil {
		return MutualTLS{}, err
	}
	return MutualTLS{Cert: cert, CA: pool}, nil
}

// LoadCAPool reads a PEM CA bundle.
func LoadCAPool(caFile string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("read CA bundle: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("CA bundle %s holds no PEM certificate", caFile)
	}
	return pool, nil
}

// ServerConfig is the TLS config of a listener that requires a client
// certificate from the CA.
func (m MutualTLS) ServerConfig() *tls.Config {
	return &tls.Config{
		MinVersion:   tls.VersionTLS13,
		Certificates: []tls.Certificate{m.Cert},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    m.CA,
	}
}

// ClientConfig is the TLS config of a dialer that presents the certificate
// and trusts only the CA.
func (m MutualTLS) ClientConfig() *tls.Config {
	return &tls.Config{
		MinVersion:   tls.VersionTLS13,
		Certificates: []tls.Certificate{m.Cert},
		RootCAs:      m.CA,
	}
}

// NewTLSStreamLayer binds bind and serves mutual TLS on it. advertise, when
// non-empty, is the address other nodes dial; otherwise the bound address.
func NewTLSStreamLayer(bind, advertise string, m MutualTLS) (*TLSStreamLayer, error) {
	if m.CA == nil || len(m.Cert.Certificate) == 0 {
		return nil, errors.New("raft tls: a certificate and a CA are both required")
	}
	tcp, err := listenTCP(bind, advertise)
	if err != nil {
		return nil, err
	}
	return &TLSStreamLayer{
		Listener:  tls.NewListener(tcp.Listener, m.ServerConfig()),
		advertise: tcp.advertise,
		client:    m.ClientConfig(),
	}, nil
}

// Addr is the advertised address.
func (s *TLSStreamLayer) Addr() net.Addr { return s.advertise }

// Accept returns the next connection; the handshake runs on first use,
// bounded by handshakeTimeout so a silent peer cannot hold it open.
func (s *TLSStreamLayer) Accept() (net.Conn, error) {
	c, err := s.Listener.Accept()
	if err != nil {
		return nil, err
	}
	if tc, ok := c.(*tls.Conn); ok {
		_ = tc.SetDeadline(time.Now().Add(handshakeTimeout))
		return &handshakeConn{Conn: tc}, nil
	}
	return c, nil
}

// handshakeTimeout bounds an incoming TLS handshake.
const handshakeTimeout = 10 * time.Second

// handshakeConn clears the handshake deadline once the handshake is done,
// so Raft's own deadlines govern the connection afterwards.
type handshakeConn struct {
	*tls.Conn
	done bool
}

func (c *handshakeConn) Read(p []byte) (int, error) {
	if !c.done {
		if err := c.Conn.Handshake(); err != nil {
			_ = c.Conn.Close()
			return 0, fmt.Errorf("raft tls handshake with %s: %w", c.RemoteAddr(), err)
		}
		c.done = true
		_ = c.Conn.SetDeadline(time.Time{})
	}
	return c.Conn.Read(p)
}

// Dial opens a mutual-TLS connection to another node, handshake included,
// within timeout.
func (s *TLSStreamLayer) Dial(address raft.ServerAddress, timeout time.Duration) (net.Conn, error) {
	host, _, err := net.SplitHostPort(string(address))
	if err != nil {
		return nil, fmt.Errorf("raft tls dial %s: %w", address, err)
	}
	cfg := s.client.Clone()
	cfg.ServerName = host
	d := tls.Dialer{NetDialer: &net.Dialer{Timeout: timeout}, Config: cfg}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	c, err := d.DialContext(ctx, "tcp", string(address))
	if err != nil {
		return nil, fmt.Errorf("raft tls dial %s: %w", address, err)
	}
	return c, nil
}

// VerifyPeer dials address and completes a mutual-TLS handshake, proving
// the server there holds a certificate from the cluster CA. Join calls it
// before adding a voter, so a node outside the CA never enters the
// configuration.
func (s *TLSStreamLayer) VerifyPeer(address string, timeout time.Duration) error {
	c, err := s.Dial(raft.ServerAddress(address), timeout)
	if err != nil {
		return err
	}
	return c.Close()
}

// peerVerifier is implemented by stream layers that can prove a peer's
// identity before it joins (TLSStreamLayer).
type peerVerifier interface {
	VerifyPeer(address string, timeout time.Duration) error
}

// verifyPeer checks a joining server's transport when the stream layer can.
func (n *Node) verifyPeer(raftAddr string) error {
	v, ok := n.cfg.StreamLayer.(peerVerifier)
	if !ok {
		return nil
	}
	if err := v.VerifyPeer(raftAddr, n.cfg.ElectionTimeout*10); err != nil {
		return invalidf("the server at %s did not prove a certificate from the cluster CA: %v", raftAddr, err)
	}
	return nil
}
