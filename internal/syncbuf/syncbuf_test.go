package syncbuf

import (
	"strings"
	"sync"
	"testing"
)

func TestBufferKeepsTheNewestOutputUnderConcurrentReads(t *testing.T) {
	t.Parallel()
	var b Buffer
	line := strings.Repeat("x", 1023) + "\n"
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for range 6 << 10 { // 6 MiB in 1 KiB lines
			_, _ = b.Write([]byte(line))
		}
		_, _ = b.Write([]byte("last line\n"))
	}()
	for range 100 {
		_ = b.String() // reads race with the writer under -race if unsafe
	}
	wg.Wait()
	got := b.String()
	if len(got) > keep+len(line) {
		t.Fatalf("buffer holds %d bytes; want at most about %d", len(got), keep)
	}
	if !strings.HasSuffix(got, "last line\n") {
		t.Fatal("the newest output was dropped")
	}
}
