// Package scalegen writes the large topologies the scale benchmarks run
// against: N apps × R regions × K rings, as a topology YAML document the
// real parser accepts. It is shared by coordinator's in-process scale
// benchmarks and by e2e/bench, which feeds the same document to a real
// ringd, so both measure the same shape.
package scalegen
