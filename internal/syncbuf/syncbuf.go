// Package syncbuf holds Buffer, the output buffer of the processes tests
// start: one goroutine writes what the process prints while the test
// reads it.
package syncbuf

import (
	"bytes"
	"sync"
)

// keep bounds a Buffer: past it, only the newest half is kept, so a
// chatty process cannot eat the test's memory.
const keep = 4 << 20

// Buffer is a bytes.Buffer safe for one writer and concurrent readers. It
// keeps at most the last 4 MiB written.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p, dropping the oldest output beyond the bound.
func (s *Buffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.b.Len() > keep {
		newest := s.b.Bytes()[s.b.Len()-keep/2:]
		s.b = *bytes.NewBuffer(append([]byte(nil), newest...))
	}
	return s.b.Write(p)
}

// String returns what the buffer holds now.
func (s *Buffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
