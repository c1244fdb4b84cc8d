package apiclient

import (
	"fmt"
	"net/http"
	"time"

	"github.com/ringleader-dev/ringleader/coordinator/command"
	"github.com/ringleader-dev/ringleader/rings"
	"github.com/ringleader-dev/ringleader/rings/planner"
	"github.com/ringleader-dev/ringleader/rings/topology"
)

// The request and response bodies of the HTTP API. The server (package
// coordinator's api*.go) and the typed client (client.go) share them, so the
// two cannot drift apart.

// ErrorBody is every error response: {"error": "..."}. Errors lists the
// line-numbered problems of a rejected topology.
type ErrorBody struct {
	Error  string          `json:"error"`
	Errors []TopologyIssue `json:"errors,omitempty"`
	// Leader is the leader's HTTP address when the error is about
	// leadership (503), so a client can go there directly.
	Leader string `json:"leader,omitempty"`
}

// TopologyIssue is one problem in a topology document.
type TopologyIssue struct {
	Line    int    `json:"line,omitempty"`
	Col     int    `json:"col,omitempty"`
	Message string `json:"message"`
}

// CreateReleaseRequest is the body of POST /v1/releases.
type CreateReleaseRequest struct {
	App             string    `json:"app"`
	Version         string    `json:"version"`
	Priority        string    `json:"priority,omitempty"`
	StartAt         time.Time `json:"startAt,omitzero"`
	Train           string    `json:"train,omitempty"`
	PreviousVersion string    `json:"previousVersion,omitempty"`
	// Risk is the release's DREAD score (each factor 1–10); nil: the
	// app's default, if the topology gives one.
	Risk *topology.DREAD `json:"risk,omitempty"`
}

// RiskRequest is the body of POST /v1/releases/{id}/risk: the new DREAD
// score (null clears it) and why; Reason is required.
type RiskRequest struct {
	Risk   *topology.DREAD `json:"risk"`
	Reason string          `json:"reason"`
}

// ApproveRequest is the body of POST /v1/releases/{id}/approve.
type ApproveRequest struct {
	Ring   string `json:"ring"`
	Reason string `json:"reason,omitempty"`
}

// ReasonRequest is the body of abort, rollback and resume; Reason is required.
type ReasonRequest struct {
	Reason string `json:"reason"`
}

// ReleaseList is the answer of GET /v1/releases.
type ReleaseList struct {
	Releases []*rings.Release `json:"releases"`
}

// ReleaseDetail is one release and what it waits for now.
type ReleaseDetail struct {
	*rings.Release
	Waits []planner.Wait `json:"waits,omitempty"`
	// Previous is, per region, what rollback writes back there, for
	// people: a version, "mixed: FILE TARGET=VALUE, …" for a region whose
	// targets disagreed (an absent one shows "(absent)"), or "-" when
	// nothing is known (rings.Release.DescribePrevious).
	Previous map[string]string `json:"previous,omitempty"`
	// Risk says, for a scored release, which risk tier of the topology in
	// force its score picks and what that tier changes.
	Risk *topology.RiskDecision `json:"riskDecision,omitempty"`
}

// NewReleaseDetail answers for one release under topology t (nil: none
// adopted).
func NewReleaseDetail(rel *rings.Release, waits []planner.Wait, t *topology.Topology) ReleaseDetail {
	d := ReleaseDetail{Release: rel, Waits: waits}
	if rel == nil {
		return d
	}
	if rel.Risk != nil && t != nil {
		d.Risk = new(t.DecideRisk(rel.Risk))
	}
	d.Previous = map[string]string{}
	for _, rp := range rel.Rings {
		for _, g := range rp.Regions {
			d.Previous[g.Name] = rel.DescribePrevious(g.Name)
		}
	}
	return d
}

// HaltRequest is the body of POST /v1/halts: the scope of the halt, its
// fields inline (global, regions, rings, apps, releases), and why. The
// scope must name something; Reason is required.
type HaltRequest struct {
	rings.HaltScope
	Reason string `json:"reason"`
}

// HaltResponse is a halt after it was placed or resumed. FenceError says
// why the fence commit could not be written right away (the leader loop
// writes it again on its next pass).
type HaltResponse struct {
	rings.Halt
	FenceError string `json:"fenceError,omitempty"`
}

// HaltList is the answer of GET /v1/halts.
type HaltList struct {
	Halts []rings.Halt `json:"halts"`
}

// TopologyResponse is the answer of GET and POST /v1/topology.
type TopologyResponse struct {
	Revision string             `json:"revision"`
	Path     string             `json:"path,omitempty"`
	Changed  bool               `json:"changed,omitempty"`
	Topology *topology.Topology `json:"topology,omitempty"`
	Source   string             `json:"source,omitempty"`
}

// LeaderInfo is the answer of GET /v1/cluster/leader.
type LeaderInfo struct {
	ID       string `json:"id"`
	HTTPAddr string `json:"httpAddr"`
	// Term is the Raft term when the store reports it.
	Term uint64 `json:"term,omitempty"`
}

// MemberList is the answer of GET /v1/cluster/members.
type MemberList struct {
	Members []Member `json:"members"`
}

// JoinRequest is the body of POST /v1/cluster/join.
type JoinRequest struct {
	ID       string `json:"id"`
	RaftAddr string `json:"raftAddr"`
	HTTPAddr string `json:"httpAddr"`
}

// RemoveRequest is the body of POST /v1/cluster/remove.
type RemoveRequest struct {
	ID string `json:"id"`
}

// Status is the answer of GET /v1/status: the cluster and every release
// that is not finished, with what each waits for.
type Status struct {
	// Attention lists what a person must look at now, most urgent first:
	// releases whose rollback failed while the halt on their regions is
	// still in force.
	Attention        []Attention `json:"attention,omitempty"`
	Leader           LeaderInfo  `json:"leader"`
	IsLeader         bool        `json:"isLeader"`
	Members          []Member    `json:"members"`
	TopologyRevision string      `json:"topologyRevision,omitempty"`
	// TopologyRejected is the last revision refused since the last
	// adoption, with its line-numbered errors (the one above stays).
	TopologyRejected *command.TopologyRejection `json:"topologyRejected,omitempty"`
	AppliedIndex     uint64                     `json:"appliedIndex"`
	Releases         []ReleaseSummary           `json:"releases"`
	Halts            []rings.Halt               `json:"halts"`
	Budgets          map[string]rings.Budget    `json:"budgets,omitempty"`
	NextCheck        time.Time                  `json:"nextCheck,omitzero"`
	// MembersError says why the member list could not be read.
	MembersError string `json:"membersError,omitempty"`
}

// Attention is one thing in the status a person must act on.
type Attention struct {
	ReleaseID string             `json:"releaseId"`
	App       string             `json:"app"`
	Version   string             `json:"version"`
	State     rings.ReleaseState `json:"state"`
	Regions   []string           `json:"regions"`
	Reason    string             `json:"reason"`
	// Halts are the active halts that hold the regions.
	Halts []string  `json:"halts,omitempty"`
	Since time.Time `json:"since"`
}

// ReleaseSummary is one release in the status.
type ReleaseSummary struct {
	ID       string             `json:"id"`
	App      string             `json:"app"`
	Version  string             `json:"version"`
	Priority string             `json:"priority,omitempty"`
	State    rings.ReleaseState `json:"state"`
	Reason   string             `json:"reason,omitempty"`
	Rings    []RingSummary      `json:"rings"`
	Waits    []planner.Wait     `json:"waits,omitempty"`
}

// RingSummary is one ring of a release in the status.
type RingSummary struct {
	Name   string          `json:"name"`
	State  rings.RingState `json:"state"`
	Reason string          `json:"reason,omitempty"`
}

// Member is one server of the cluster.
type Member struct {
	ID       string `json:"id"`
	RaftAddr string `json:"raftAddr"`
	HTTPAddr string `json:"httpAddr,omitempty"`
	Voter    bool   `json:"voter"`
	Leader   bool   `json:"leader"`
}

// AuditEntry is one accepted command in the audit trail.
type AuditEntry struct {
	// Index is the Raft index of the command.
	Index uint64 `json:"index"`
	// At is the leader's time when the command was proposed.
	At time.Time `json:"at"`
	// Actor is the identity (command.ActorSystem for the leader loop),
	// Role its role ("system" for the leader loop).
	Actor string `json:"actor"`
	Role  string `json:"role,omitempty"`
	// Source is the remote address as seen by the node that accepted the
	// request ("<client> via <follower>" when forwarded).
	Source string `json:"source,omitempty"`
	// Type is the command type; Details its key fields (IDs, names,
	// versions), never secrets; Reason the free text why.
	Type      command.Type      `json:"type"`
	RequestID string            `json:"requestId,omitempty"`
	Details   map[string]string `json:"details,omitempty"`
	Reason    string            `json:"reason,omitempty"`
}

// String renders an entry on one line (logs, tests).
func (e AuditEntry) String() string {
	return fmt.Sprintf("#%d %s %s(%s) %s", e.Index, e.At.Format(time.RFC3339), e.Actor, e.Role, e.Type)
}

// AuditQuery filters the trail. Zero fields do not filter; Limit keeps the
// most recent entries (default 100, at most MaxAuditLimit).
type AuditQuery struct {
	Actor string
	Type  command.Type
	Since time.Time
	Until time.Time
	Limit int
}

// Bounds of AuditQuery.Limit.
const (
	DefaultAuditLimit = 100
	MaxAuditLimit     = 10000
)

// AuditList is the answer of GET /v1/audit.
type AuditList struct {
	Entries []AuditEntry `json:"entries"`
}

// Headers a client sends.
const (
	// HeaderActor names the person or system asking when authentication
	// is off; with tokens it is ignored.
	HeaderActor = "X-Ringleader-Actor"
	// HeaderIdempotencyKey lets a client retry a write safely: the same key
	// is the same Raft RequestID, which applies once.
	HeaderIdempotencyKey = "Idempotency-Key"
)

// StatusInvalidTransition is the status of a command the state machine
// refused as not allowed now (command.ErrInvalid): 422.
const StatusInvalidTransition = http.StatusUnprocessableEntity
