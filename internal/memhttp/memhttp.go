// Package memhttp is an HTTP client whose requests never leave the process:
// each is handed to a handler. Tests that run senders inside a
// testing/synctest bubble use it, because a real socket is not something
// the bubble's clock can wait on.
package memhttp

import (
	"net/http"
	"net/http/httptest"
)

// Client returns a client that serves every request with h. A request
// whose context ends while h runs fails with the context's error, as a
// real round trip would.
func Client(h http.HandlerFunc) *http.Client {
	return &http.Client{Transport: roundTrip(func(req *http.Request) (*http.Response, error) {
		rec := httptest.NewRecorder()
		h(rec, req)
		if err := req.Context().Err(); err != nil {
			return nil, err
		}
		return rec.Result(), nil
	})}
}

type roundTrip func(*http.Request) (*http.Response, error)

func (f roundTrip) RoundTrip(req *http.Request) (*http.Response, error) { return f(req) }
