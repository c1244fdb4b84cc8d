package webhook

import (
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/ringleader-dev/ringleader/internal/golden"
)

// TestPayloadGolden pins the JSON receivers parse (and sign over).
func TestPayloadGolden(t *testing.T) {
	p := Payload{Event: PrePromotion, Release: "rel-20261125-1", App: "checkout", Version: "v1.4.2", Ring: "early",
		Regions: []string{"eu-west-1"}, Time: time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)}
	got, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden.Check(t, filepath.Join("testdata", "payload.golden.json"), append(got, '\n'))
}
