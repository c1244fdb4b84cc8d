package command

import (
	"encoding/json"
	"errors"
	"testing"
)

func TestDecode(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		payload string
		want    string // error text; "" means success
	}{
		{"ok", `{"releaseId":"r1","ring":"canary"}`, ""},
		{"empty", ``, "ring.start-soak: payload is empty"},
		{"malformed", `{"releaseId":`, "ring.start-soak: decode payload: unexpected end of JSON input"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cmd := Command{Version: Version, Type: CmdStartSoak, Payload: json.RawMessage(tc.payload)}
			p, err := Decode[RingRef](cmd)
			if tc.want == "" {
				if err != nil || p.ReleaseID != "r1" || p.Ring != "canary" {
					t.Fatalf("Decode = %+v, %v; want r1/canary", p, err)
				}
				return
			}
			if err == nil || err.Error() != tc.want {
				t.Fatalf("Decode error = %v; want %q", err, tc.want)
			}
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("Decode error %v does not match ErrInvalid", err)
			}
		})
	}
}

func TestNewEncodesPayload(t *testing.T) {
	t.Parallel()
	cmd, err := New(CmdResumeHalt, "alice", ResumeHalt{HaltID: "h1", Reason: "fixed"})
	if err != nil {
		t.Fatal(err)
	}
	if cmd.Version != Version || cmd.Type != CmdResumeHalt || cmd.Actor != "alice" {
		t.Fatalf("New = %+v", cmd)
	}
	if got, want := string(cmd.Payload), `{"haltId":"h1","reason":"fixed"}`; got != want {
		t.Fatalf("payload = %s; want %s", got, want)
	}
	if _, err := New(CmdResumeHalt, "alice", func() {}); err == nil {
		t.Fatal("New accepted a payload JSON cannot encode")
	}
}
