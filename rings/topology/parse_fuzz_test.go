package topology

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"gopkg.in/yaml.v3"
)

// FuzzParse checks Parse's contract on arbitrary input: it never panics; it
// returns either a topology and no error, or no topology and a non-empty
// ValidationErrors whose every entry is located (line and column >= 1; whole-
// document problems sit at 1:1) and says something. A topology it accepts
// survives a round trip: marshalled back to YAML it parses to the same value.
//
// Seeds: the canonical example, the minimal good file and every bad file.
func FuzzParse(f *testing.F) {
	seeds := []string{ptExamplePath}
	for _, dir := range []string{"good", "bad"} {
		files, err := filepath.Glob(filepath.Join("testdata", "topology", dir, "*.yaml"))
		if err != nil {
			f.Fatal(err)
		}
		seeds = append(seeds, files...)
	}
	for _, path := range seeds {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		top, err := Parse("fuzz.yaml", data)
		if err == nil {
			if top == nil {
				t.Fatal("nil topology and nil error")
			}
			ptCheckRoundTrip(t, top)
			return
		}
		if top != nil {
			t.Fatalf("topology returned with error %v", err)
		}
		var verrs ValidationErrors
		if !errors.As(err, &verrs) {
			t.Fatalf("error is %T, want ValidationErrors: %v", err, err)
		}
		if len(verrs) == 0 {
			t.Fatal("empty ValidationErrors")
		}
		for _, e := range verrs {
			if e.Line < 1 || e.Col < 1 || e.File != "fuzz.yaml" || e.Msg == "" {
				t.Fatalf("badly located error %#v", e)
			}
		}
	})
}

// ptCheckRoundTrip marshals an accepted topology and parses it again: what
// Parse accepts and fills in must itself be a valid document meaning the
// same thing.
func ptCheckRoundTrip(t *testing.T, top *Topology) {
	t.Helper()
	out, err := yaml.Marshal(top)
	if err != nil {
		t.Fatalf("marshal accepted topology: %v", err)
	}
	again, err := Parse("roundtrip.yaml", out)
	if err != nil {
		t.Fatalf("accepted topology does not parse after a round trip:\n%s\n%v", out, err)
	}
	// JSON equality: nil and empty lists mean the same.
	a, errA := json.Marshal(ptWithoutLocations(top))
	b, errB := json.Marshal(ptWithoutLocations(again))
	if errA != nil || errB != nil {
		t.Fatalf("json: %v, %v", errA, errB)
	}
	if string(a) != string(b) {
		t.Fatalf("round trip changed the topology:\n%s\nbefore: %s\nafter:  %s", out, a, b)
	}
}

// ptWithoutLocations copies a topology, checking each loaded *time.Location
// by name (Location is not serialised).
func ptWithoutLocations(top *Topology) Topology {
	c := *top
	c.Spec.Regions = append([]Region(nil), top.Spec.Regions...)
	for i := range c.Spec.Regions {
		if c.Spec.Regions[i].Location != nil && c.Spec.Regions[i].Location.String() != c.Spec.Regions[i].Timezone {
			c.Spec.Regions[i].Timezone += " (loaded as " + c.Spec.Regions[i].Location.String() + ")"
		}
		c.Spec.Regions[i].Location = nil
	}
	return c
}
