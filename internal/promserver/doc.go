// Package promserver runs a real Prometheus (Debian package "prometheus";
// `make deps` installs it) scraping given targets: the Prometheus of `ringd
// demo`, of the regions/prometheus tests and of the end-to-end suite.
//
// Prometheus binds 127.0.0.1:0 itself and the address is read from its own
// log line "Listening on", so no port is picked by listen-and-close and
// lost to another process. A restart asks for the same address again, with
// the data directory intact, so a test can take Prometheus down and bring
// it back at one URL. The process dies with the one that started it
// (Linux). A missing binary is an error, never a skip.
package promserver
