// Package argocdtest serves the one corner of Argo CD's API that Ringleader
// reads, GET /api/v1/applications/{name}, from real
// github.com/argoproj/argo-cd/v2 v1alpha1.Application objects encoded with
// their own JSON tags, behind a bearer token (401 without it).
//
// Callers steer each Application with Set (sync status, revision, health,
// operation phase as plain strings) or Update (the real object), and the
// server itself with Stall (requests hang until the client gives up),
// FailWith (an error status such as 503) and SetToken.
//
// It is a plain package, not test-only: the demo's and e2e's simulated
// regions serve their Applications with Start on a listener of their own;
// tests use StartHTTPTest or StartHTTPTestTLS (whose CertPool and CAPEM
// give the certificate to trust). Only regions/argocd and its subpackages
// may import argo-cd, so callers elsewhere use the string constants here.
package argocdtest
