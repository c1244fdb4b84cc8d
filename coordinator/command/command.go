package command

import (
	"encoding/json"
	"time"

	"github.com/ringleader-dev/ringleader/rings"
	"github.com/ringleader-dev/ringleader/rings/topology"
)

// Version is the version of the command envelope written to the log.
// Apply refuses entries with a newer version than it knows.
const Version = 1

// Type names one kind of replicated state change.
type Type string

// Every change to replicated state is one of these commands.
const (
	CmdCreateRelease   Type = "release.create"    // CreateRelease
	CmdStartRelease    Type = "release.start"     // ReleaseRef
	CmdSetReleaseState Type = "release.set-state" // SetReleaseState
	CmdApprove         Type = "release.approve"   // Approve
	CmdAbortRelease    Type = "release.abort"     // ReleaseRef (Reason)
	CmdRequestRollback Type = "release.rollback"  // ReleaseRef (Reason): a person asks for rollback
	CmdCompleteRelease Type = "release.complete"  // ReleaseRef
	CmdPromoted        Type = "ring.promoted"     // Promoted: a promotion commit landed
	CmdObserve         Type = "ring.observe"      // Observe: health evidence for a region
	CmdStartSoak       Type = "ring.start-soak"   // RingRef
	CmdCompleteRing    Type = "ring.complete"     // RingRef
	CmdFailRing        Type = "ring.fail"         // RingRef (Reason)
	CmdRolledBack      Type = "ring.rolled-back"  // Promoted: a rollback commit landed
	CmdPlaceHalt       Type = "halt.place"        // PlaceHalt
	CmdResumeHalt      Type = "halt.resume"       // ResumeHalt
	CmdAdoptTopology   Type = "topology.adopt"    // AdoptTopology
	CmdRejectTopology  Type = "topology.reject"   // RejectTopology: a revision failed validation
	CmdRecordBudget    Type = "budget.record"     // rings.Budget (of one app in one region)
	CmdSetMember       Type = "member.set"        // MemberMeta: a node's HTTP address
	CmdRemoveMember    Type = "member.remove"     // MemberMeta
	// CmdRollbackVerified records that rolled-back regions run the previous
	// version well (RingRegions); CmdRollbackFailed that they did not
	// within policy.rollback.timeout, halting them (RollbackFailed).
	CmdRollbackVerified Type = "ring.rollback-verified"
	CmdRollbackFailed   Type = "ring.rollback-failed"
	// The Git write of a promotion or rollback failed (coordinator/loop_retry.go).
	CmdPromotionRetry      Type = "ring.promotion-retry"       // PromotionRetry: transient, tried again later
	CmdPromotionFailed     Type = "ring.promotion-failed"      // PromotionFailed: needs a person; the ring fails
	CmdRollbackWriteFailed Type = "ring.rollback-write-failed" // PromotionFailed: a rollback needs a person; the release halts
	CmdRecordBaseline      Type = "release.baseline"           // RecordBaseline: what Git held before the first promotion
	CmdSetRisk             Type = "release.set-risk"           // SetRisk: a person re-scores a release's risk
)

// Command is the one envelope every Raft log entry carries.
type Command struct {
	Version int  `json:"v"`
	Type    Type `json:"type"`
	// RequestID makes a command idempotent: a second entry with an ID that
	// was already applied changes nothing and returns the first result. It
	// resolves "maybe committed" after coordinator.ErrLeadershipLost
	// without blind retry.
	RequestID string `json:"requestId"`
	// At is the leader's clock when it proposed the entry. Apply uses this,
	// never the local clock, so every replica computes the same state.
	At time.Time `json:"at"`
	// Actor is who asked (an identity name, or "ringleader" for the leader
	// loop's own decisions).
	Actor string `json:"actor"`
	// Role is the actor's role when the command was accepted, and Source
	// the remote address as seen by the node that accepted the request
	// (empty for the leader loop's own commands). Both go to the audit
	// trail (coordinator/audit.go).
	Role    string          `json:"role,omitempty"`
	Source  string          `json:"source,omitempty"`
	Payload json.RawMessage `json:"payload"`
}

// ActorSystem is the Actor of commands the leader loop proposes itself.
const ActorSystem = "ringleader"

// CreateRelease creates a release of App at Version. ID is assigned by the
// node that accepts the request, before proposing, so it is in the log.
type CreateRelease struct {
	ID       string    `json:"id"`
	App      string    `json:"app"`
	Version  string    `json:"version"`
	Priority string    `json:"priority,omitempty"`
	StartAt  time.Time `json:"startAt,omitempty"`
	Train    string    `json:"train,omitempty"`
	// PreviousVersion is what rollback restores; empty means "whatever the
	// last completed release of the app was".
	PreviousVersion string `json:"previousVersion,omitempty"`
	// Risk is the release's DREAD score; nil: the app's default
	// (spec.apps[].risk.dread), or not scored.
	Risk *topology.DREAD `json:"risk,omitempty"`
}

// SetRisk changes the DREAD score of a release (nil clears it); Reason is
// required.
type SetRisk struct {
	ReleaseID string          `json:"releaseId"`
	Risk      *topology.DREAD `json:"risk"`
	Reason    string          `json:"reason"`
}

// ReleaseRef names a release; Reason is required for abort and rollback.
type ReleaseRef struct {
	ReleaseID string `json:"releaseId"`
	Reason    string `json:"reason,omitempty"`
}

// SetReleaseState moves a release to a non-terminal display state
// (running, awaiting-approval, halted) with the reason it waits.
type SetReleaseState struct {
	ReleaseID string             `json:"releaseId"`
	State     rings.ReleaseState `json:"state"`
	Reason    string             `json:"reason,omitempty"`
}

// Approve approves Ring of a release.
type Approve struct {
	ReleaseID string `json:"releaseId"`
	Ring      string `json:"ring"`
	Reason    string `json:"reason,omitempty"`
}

// RingRef names a ring of a release.
type RingRef struct {
	ReleaseID string `json:"releaseId"`
	Ring      string `json:"ring"`
	Reason    string `json:"reason,omitempty"`
}

// Promoted records that a commit carrying PromotionID landed for Regions.
type Promoted struct {
	ReleaseID   string   `json:"releaseId"`
	Ring        string   `json:"ring"`
	Regions     []string `json:"regions"`
	PromotionID string   `json:"promotionId"`
	Commit      string   `json:"commit"`
}

// Observe records health evidence for one region of a ring. Synced/Healthy
// come from the region's deployment source; Check is an analysis result
// (nil when this observation is sync/health only). InProgress says the
// deployment source sees the promoted version still rolling out (applied
// with rings.State.ObserveInProgress); omitted when false, so entries
// written before it existed decode and apply as they did.
type Observe struct {
	ReleaseID  string             `json:"releaseId"`
	Ring       string             `json:"ring"`
	Region     string             `json:"region"`
	Synced     bool               `json:"synced"`
	Healthy    bool               `json:"healthy"`
	Reason     string             `json:"reason,omitempty"`
	Check      *rings.Observation `json:"check,omitempty"`
	InProgress bool               `json:"inProgress,omitempty"`
}

// RingRegions names regions of a ring of a release.
type RingRegions struct {
	ReleaseID string   `json:"releaseId"`
	Ring      string   `json:"ring"`
	Regions   []string `json:"regions"`
}

// RollbackFailed records that the rollback of Regions did not verify in
// time, and places halt HaltID with Scope (authored by the command's actor)
// so nothing more is promoted there until a person resumes it.
type RollbackFailed struct {
	ReleaseID string          `json:"releaseId"`
	Ring      string          `json:"ring"`
	Regions   []string        `json:"regions"`
	Reason    string          `json:"reason"`
	HaltID    string          `json:"haltId"`
	Scope     rings.HaltScope `json:"scope"`
}

// PlaceHalt places a halt. ID is assigned before proposing.
type PlaceHalt struct {
	ID     string          `json:"id"`
	Scope  rings.HaltScope `json:"scope"`
	Reason string          `json:"reason"`
	Auto   bool            `json:"auto,omitempty"`
}

// ResumeHalt lifts a halt.
type ResumeHalt struct {
	HaltID string `json:"haltId"`
	Reason string `json:"reason"`
}

// AdoptTopology puts a topology revision in force. Source is the topology
// document as read; every node parses it, so all agree on Revision.
type AdoptTopology struct {
	Revision string `json:"revision"`
	Path     string `json:"path"`
	Source   []byte `json:"source"`
}

// RejectTopology records that topology Revision failed validation, with
// the line-numbered errors the leader found, so every node shows why the
// previous topology stays in force. Adopting any revision clears it.
type RejectTopology struct {
	Revision string   `json:"revision"`
	Path     string   `json:"path"`
	Errors   []string `json:"errors"`
}

// TopologyRejection is the last rejected topology revision (replicated
// state, shown by GET /v1/status on every node).
type TopologyRejection struct {
	Revision string    `json:"revision"`
	Path     string    `json:"path,omitempty"`
	Errors   []string  `json:"errors"`
	At       time.Time `json:"at"`
}

// MemberMeta maps a Raft server ID to its HTTP API address.
type MemberMeta struct {
	ID       string `json:"id"`
	HTTPAddr string `json:"httpAddr,omitempty"`
}

// PromotionRetry records that the Git write of promotion (or rollback)
// PromotionID failed transiently for the Attempt-th time in a row, and
// when the leader tries again. RequestID: loop/promotion-retry/<id>/<n>.
type PromotionRetry struct {
	ReleaseID     string    `json:"releaseId"`
	Ring          string    `json:"ring"`
	PromotionID   string    `json:"promotionId"`
	Rollback      bool      `json:"rollback,omitempty"`
	Attempt       int       `json:"attempt"`
	Error         string    `json:"error"`
	NextAttemptAt time.Time `json:"nextAttemptAt"`
}

// PromotionFailed records that the Git write of promotion (or rollback)
// PromotionID for Regions of Ring cannot succeed without a person; Reason
// names the file, the path and the error.
type PromotionFailed struct {
	ReleaseID   string   `json:"releaseId"`
	Ring        string   `json:"ring"`
	Regions     []string `json:"regions,omitempty"`
	PromotionID string   `json:"promotionId"`
	Reason      string   `json:"reason"`
}

// Clone returns a deep copy (nil stays nil).
func (r *TopologyRejection) Clone() *TopologyRejection {
	if r == nil {
		return nil
	}
	c := *r
	c.Errors = append([]string(nil), r.Errors...)
	return &c
}

// RecordBaseline records what the GitOps branch held, at Commit, for every
// target of the release's app in every region of the release, read by the
// leader right before the first promotion: per region one Version when its
// targets agreed, else each target's own value (rings.RecordBaseline).
type RecordBaseline struct {
	ReleaseID string                 `json:"releaseId"`
	Commit    string                 `json:"commit,omitempty"`
	Regions   []rings.RegionBaseline `json:"regions"`
}
