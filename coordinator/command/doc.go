// Package command owns the Raft log's wire format: the versioned Command
// envelope, every command Type and its payload, and the sentinels that say
// why a command was refused.
package command
