package webhook

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden files")

// TestPayloadGolden pins the JSON receivers parse (and sign over).
func TestPayloadGolden(t *testing.T) {
	p := Payload{Event: PrePromotion, Release: "rel-20261125-1", App: "checkout", Version: "v1.4.2", Ring: "early",
		Regions: []string{"eu-west-1"}, Time: time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)}
	got, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	path := filepath.Join("testdata", "payload.golden.json")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run with -update to create it): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("payload changed:\n%s\nwant:\n%s", got, want)
	}
}
