// Package promtest is a steerable exporter for tests that query a real
// Prometheus (started with internal/promserver).
//
// The exporter serves http_requests_total{region,app,version,code} from its
// own registry. Each scrape advances every configured series by a fixed
// number of requests, split between code 200 and code 500 by the error ratio
// the test set with SetErrorRatio, so rate() over a few scrapes is exactly that
// ratio without any background goroutine or wall-clock traffic generator.
package promtest
