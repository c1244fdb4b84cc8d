package prometheus

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	ringtopology "github.com/ringleader-dev/ringleader/rings/topology"
)

// TestSummarizeKeepsRegionErrors: when no baseline region answers, the
// error still matches each region's sentinel with errors.Is, and its text
// names every region.
func TestSummarizeKeepsRegionErrors(t *testing.T) {
	t.Parallel()
	jobs := []*job{
		{region: "eu-west-1", vars: Vars{Version: "v1"}, err: fmt.Errorf("query eu-west-1: %w", ErrUnreachable)},
		{region: "ap-south-1", vars: Vars{Version: "v1"}, err: ErrEmptyResult},
		{region: "us-east-1", vars: Vars{}, err: fmt.Errorf("render: %w", ErrTemplate)},
	}
	b := summarize([]string{"eu-west-1", "ap-south-1", "us-east-1", "dark-1"}, jobs, []error{errors.New("dark-1: no prometheus source")})
	cases := []struct {
		name   string
		target error
		want   bool
	}{
		{"unreachable region", ErrUnreachable, true},
		{"empty region", ErrEmptyResult, true},
		{"template region", ErrTemplate, true},
		{"not seen", ErrManySeries, false},
	}
	for _, tc := range cases {
		if got := errors.Is(b.err, tc.target); got != tc.want {
			t.Errorf("%s: errors.Is(%v, %v) = %v, want %v", tc.name, b.err, tc.target, got, tc.want)
		}
	}
	const want = "no baseline region answered: dark-1: no prometheus source\n" +
		"eu-west-1: query eu-west-1: prometheus unreachable\n" +
		"ap-south-1: query returned no data\n" +
		"us-east-1: the release has no previous version to compare with (render: invalid query template)"
	if b.err == nil || b.err.Error() != want {
		t.Errorf("error:\n got %v\nwant %s", b.err, want)
	}
	// The check's reason stays on one line.
	o := degradationCheck("last-1", ringtopology.Metric{Name: "errors", Max: ptr(1), MaxDegradation: ptr(1)}, 0.5, nil, b, time.Time{})
	if wantReason := strings.ReplaceAll(want, "\n", "; "); o.Reason != wantReason {
		t.Errorf("reason:\n got %q\nwant %q", o.Reason, wantReason)
	}
}
