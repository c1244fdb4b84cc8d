package coordinator

import (
	"fmt"
	"testing"

	"github.com/ringleader-dev/ringleader/coordinator/command"
)

// BenchmarkBrokerPublish measures one Publish fanned out to N subscribers
// that keep up (each drains its queue on its own goroutine).
func BenchmarkBrokerPublish(b *testing.B) {
	for _, n := range []int{1, 10, 100} {
		b.Run(fmt.Sprintf("subscribers=%d", n), func(b *testing.B) {
			br, err := NewBroker(BrokerConfig{Buffer: 1 << 16})
			if err != nil {
				b.Fatal(err)
			}
			defer br.Close()
			for range n {
				sub, _, _, err := br.Subscribe(0)
				if err != nil {
					b.Fatal(err)
				}
				go func() {
					for range sub.C {
					}
				}()
			}
			ev := Event{Type: command.CmdPlaceHalt, HaltID: "halt-1", Summary: "halt halt-1 placed by alice: incident"}
			b.ResetTimer()
			for i := range b.N {
				ev.ID = uint64(i + 1)
				br.Publish(ev)
			}
		})
	}
}
