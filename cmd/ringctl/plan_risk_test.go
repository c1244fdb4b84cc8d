package main

import "testing"

// exposureTopology has traffic shares 20/40/40, a maxExposure of 50 % on
// early, and checkout's failure rate set to 0.5 %.
const exposureTopology = "testdata/exposure.yaml"

func TestThousands(t *testing.T) {
	t.Parallel()
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 4320: "4,320", 1234567: "1,234,567"} {
		if got := thousands(n); got != want {
			t.Errorf("thousands(%d) = %q, want %q", n, got, want)
		}
	}
}
