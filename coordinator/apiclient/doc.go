// Package apiclient owns the HTTP API's wire: the typed client ringctl, the
// demo and the end-to-end tests use, and every request and answer body the
// coordinator's handlers encode. It imports only rings and command.
package apiclient
