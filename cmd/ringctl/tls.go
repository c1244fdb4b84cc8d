package main

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"os"
)

// tlsHTTPClient is the HTTP client for --server: it trusts --ca-cert (the
// system roots when unset) and presents --client-cert when given. A file
// that cannot be loaded fails every request with the reason.
func tlsHTTPClient(g *globals) *http.Client {
	c := &http.Client{Timeout: apiTimeout}
	cfg, err := clientTLSConfig(g)
	if err != nil {
		c.Transport = failingTransport{err}
		return c
	}
	if cfg != nil {
		c.Transport = &http.Transport{TLSClientConfig: cfg, Proxy: http.ProxyFromEnvironment}
	}
	return c
}

// clientTLSConfig builds the TLS config from the flags (nil: defaults).
func clientTLSConfig(g *globals) (*tls.Config, error) {
	if g.caCert == "" && g.clientCert == "" && g.clientKey == "" {
		return nil, nil
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if g.caCert != "" {
		pem, err := os.ReadFile(g.caCert)
		if err != nil {
			return nil, fmt.Errorf("read --ca-cert: %w", err)
		}
		cfg.RootCAs = x509.NewCertPool()
		if !cfg.RootCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("--ca-cert %s holds no PEM certificate", g.caCert)
		}
	}
	if (g.clientCert == "") != (g.clientKey == "") {
		return nil, errors.New("--client-cert and --client-key go together: give both")
	}
	if g.clientCert != "" {
		cert, err := tls.LoadX509KeyPair(g.clientCert, g.clientKey)
		if err != nil {
			return nil, fmt.Errorf("load --client-cert and --client-key: %w", err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg, nil
}

// failingTransport answers every request with err.
type failingTransport struct{ err error }

func (f failingTransport) RoundTrip(*http.Request) (*http.Response, error) { return nil, f.err }
