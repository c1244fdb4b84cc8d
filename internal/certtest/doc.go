// Package certtest makes throwaway certificate authorities and certificates
// for tests: ECDSA P-256, valid for one hour, with 127.0.0.1 and ::1 IP
// SANs and "localhost". Never use it outside tests.
package certtest
