// Package gittest runs a real `git daemon` process over bare repositories in
// a test's temporary directory, so Git code is tested against the same
// server-side checks (fast-forward, ref locking) a production Git host makes.
package gittest
