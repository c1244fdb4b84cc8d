// Package yamledit changes single values in YAML documents without
// re-rendering them: it finds a node with gopkg.in/yaml.v3, turns the node's
// line and column into a byte range and replaces only those bytes. Comments,
// key order, indentation and quoting of everything else stay as they were.
package yamledit
