package store

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ringleader-dev/ringleader/coordinator/apiclient"
	"github.com/ringleader-dev/ringleader/coordinator/command"
	"github.com/ringleader-dev/ringleader/rings"
	"github.com/ringleader-dev/ringleader/rings/topology"
)

// The audit trail is part of the replicated state: every command the state
// machine accepts appends one AuditEntry (who, role, what, when, from
// where, why), in the same Apply that changes the state, so every node holds
// the same trail and a snapshot carries it through failover and restart.
//
// It never holds a payload: each entry keeps an allow-list of key fields
// per command type (auditDetails), so secrets a command might carry cannot
// reach it. Commands of types it does not know keep only their type.
//
// Retention is deterministic: it is applied while applying a command and
// uses only the command's own time (cmd.At, the leader's clock) and counts,
// with AuditRetention identical on every node, so all replicas prune the
// same entries.

// AuditRetention bounds the trail. Every node of a cluster must use the
// same values (like RequestLogSize): pruning happens in Apply.
type AuditRetention struct {
	// MaxEntries bounds the decisions kept (default 10,000).
	MaxEntries int
	// MaxEvidence bounds the leader loop's health observations and budget
	// records kept (default 1,000). They are frequent; a separate bound
	// keeps them from pushing people's decisions out.
	MaxEvidence int
	// MaxAge drops entries older than this, measured against the time of
	// the command being applied (0: no age limit).
	MaxAge time.Duration
}

// Defaults of AuditRetention.
const (
	DefaultAuditMaxEntries  = 10000
	DefaultAuditMaxEvidence = 1000
)

// withDefaults fills zero fields.
func (r AuditRetention) withDefaults() AuditRetention {
	if r.MaxEntries <= 0 {
		r.MaxEntries = DefaultAuditMaxEntries
	}
	if r.MaxEvidence <= 0 {
		r.MaxEvidence = DefaultAuditMaxEvidence
	}
	if r.MaxAge < 0 {
		r.MaxAge = 0
	}
	return r
}

// MaxReasonLen bounds a free-text reason kept in the audit trail; the API
// refuses longer ones.
const MaxReasonLen = 2000

// ActorRoleSystem is the Role recorded for the leader loop's own commands.
const ActorRoleSystem = "system"

// auditTrail is the machine's audit state: decisions and evidence, each in
// Index order.
type auditTrail struct {
	decisions []apiclient.AuditEntry
	evidence  []apiclient.AuditEntry
}

// isEvidence reports whether t is a frequent observation, not a decision.
func isEvidence(t command.Type) bool { return t == command.CmdObserve || t == command.CmdRecordBudget }

// record appends the entry for an accepted command and prunes.
func (t *auditTrail) record(index uint64, cmd command.Command, id string, ret AuditRetention, look auditLookup) {
	ret = ret.withDefaults()
	e := auditEntryFor(index, cmd, id, look)
	if isEvidence(cmd.Type) {
		t.evidence = prune(append(t.evidence, e), ret.MaxEvidence, ret.MaxAge, cmd.At)
		t.decisions = prune(t.decisions, ret.MaxEntries, ret.MaxAge, cmd.At)
		return
	}
	t.decisions = prune(append(t.decisions, e), ret.MaxEntries, ret.MaxAge, cmd.At)
	t.evidence = prune(t.evidence, ret.MaxEvidence, ret.MaxAge, cmd.At)
}

// prune keeps at most max entries, none older than maxAge before now.
// Reslicing from the front lets the next growing append drop the rest.
func prune(s []apiclient.AuditEntry, max int, maxAge time.Duration, now time.Time) []apiclient.AuditEntry {
	if len(s) > max {
		s = s[len(s)-max:]
	}
	if maxAge > 0 && !now.IsZero() {
		cut := now.Add(-maxAge)
		i := 0
		for i < len(s) && s[i].At.Before(cut) {
			i++
		}
		s = s[i:]
	}
	return s
}

// all returns every entry in Index order (a copy).
func (t *auditTrail) all() []apiclient.AuditEntry {
	out := make([]apiclient.AuditEntry, 0, len(t.decisions)+len(t.evidence))
	out = append(out, t.decisions...)
	out = append(out, t.evidence...)
	slices.SortFunc(out, func(a, b apiclient.AuditEntry) int { return cmp.Compare(a.Index, b.Index) })
	return out
}

// load replaces the trail with entries from a snapshot.
func (t *auditTrail) load(entries []apiclient.AuditEntry) {
	t.decisions, t.evidence = nil, nil
	for _, e := range entries {
		if isEvidence(e.Type) {
			t.evidence = append(t.evidence, e)
		} else {
			t.decisions = append(t.decisions, e)
		}
	}
}

// auditLookup is what an entry's details read from the state the command
// was applied to (the machine): the app of a release (it exists: the
// command was accepted) and the risk tier a score picks under the topology
// in force.
type auditLookup interface {
	releaseApp(releaseID string) string
	riskTier(risk *topology.DREAD) string
}

// auditEntryFor builds the entry of an accepted command.
func auditEntryFor(index uint64, cmd command.Command, id string, look auditLookup) apiclient.AuditEntry {
	e := apiclient.AuditEntry{Index: index, At: cmd.At, Actor: cmd.Actor, Role: cmd.Role, Source: cmd.Source, Type: cmd.Type, RequestID: cmd.RequestID}
	if e.Role == "" && cmd.Actor == command.ActorSystem {
		e.Role = ActorRoleSystem
	}
	e.Details, e.Reason = auditDetails(cmd, id, look)
	return e
}

// auditFields collects the key fields of one entry; empty values are left
// out and long ones clipped.
type auditFields map[string]string

func (d auditFields) set(k, v string) {
	if v != "" {
		d[k] = clip(v, 200)
	}
}

// ring sets the fields that place a command: release, ring and regions.
func (d auditFields) ring(release, ring string, regions []string) {
	d.set("release", release)
	d.set("ring", ring)
	d.set("regions", strings.Join(regions, ","))
}

// auditDetails extracts the key fields of a command by type, from an
// allow-list: IDs, names, versions, states; never sources or credentials.
func auditDetails(cmd command.Command, id string, look auditLookup) (map[string]string, string) {
	d := auditFields{}
	var reason string
	switch cmd.Type {
	case command.CmdCreateRelease:
		p, _ := command.Decode[command.CreateRelease](cmd)
		d.set("release", cmp.Or(id, p.ID))
		d.set("app", p.App)
		d.set("version", p.Version)
		d.set("priority", p.Priority)
		d.set("train", p.Train)
		d.risk(p.Risk, look)
	case command.CmdSetRisk:
		p, _ := command.Decode[command.SetRisk](cmd)
		d.set("release", p.ReleaseID)
		if p.Risk == nil {
			d.set("risk", "cleared")
		}
		d.risk(p.Risk, look)
		reason = p.Reason
	case command.CmdStartRelease, command.CmdCompleteRelease, command.CmdAbortRelease, command.CmdRequestRollback:
		p, _ := command.Decode[command.ReleaseRef](cmd)
		d.set("release", p.ReleaseID)
		reason = p.Reason
	case command.CmdSetReleaseState:
		p, _ := command.Decode[command.SetReleaseState](cmd)
		d.set("release", p.ReleaseID)
		d.set("state", string(p.State))
		reason = p.Reason
	case command.CmdApprove:
		p, _ := command.Decode[command.Approve](cmd)
		d.ring(p.ReleaseID, p.Ring, nil)
		reason = p.Reason
	case command.CmdStartSoak, command.CmdCompleteRing, command.CmdFailRing:
		p, _ := command.Decode[command.RingRef](cmd)
		d.ring(p.ReleaseID, p.Ring, nil)
		reason = p.Reason
	case command.CmdPromotionRetry:
		p, _ := command.Decode[command.PromotionRetry](cmd)
		d.ring(p.ReleaseID, p.Ring, nil)
		d.set("promotion", p.PromotionID)
		d.set("attempt", strconv.Itoa(p.Attempt))
		reason = p.Error
	case command.CmdPromotionFailed, command.CmdRollbackWriteFailed:
		p, _ := command.Decode[command.PromotionFailed](cmd)
		d.ring(p.ReleaseID, p.Ring, p.Regions)
		d.set("promotion", p.PromotionID)
		reason = p.Reason
	case command.CmdPromoted, command.CmdRolledBack:
		p, _ := command.Decode[command.Promoted](cmd)
		d.ring(p.ReleaseID, p.Ring, p.Regions)
		d.set("promotion", p.PromotionID)
		d.set("commit", p.Commit)
	case command.CmdRollbackVerified:
		p, _ := command.Decode[command.RingRegions](cmd)
		d.ring(p.ReleaseID, p.Ring, p.Regions)
	case command.CmdRollbackFailed:
		p, _ := command.Decode[command.RollbackFailed](cmd)
		d.ring(p.ReleaseID, p.Ring, p.Regions)
		d.set("halt", p.HaltID)
		d.set("scope", haltScopeText(p.Scope))
		reason = p.Reason
	case command.CmdRecordBaseline:
		p, _ := command.Decode[command.RecordBaseline](cmd)
		d.set("release", p.ReleaseID)
		d.set("app", look.releaseApp(p.ReleaseID))
		d.set("commit", p.Commit)
		for _, b := range p.Regions {
			d.set("baseline."+b.Region, baselineText(b))
		}
	case command.CmdObserve:
		p, _ := command.Decode[command.Observe](cmd)
		d.ring(p.ReleaseID, p.Ring, nil)
		d.set("region", p.Region)
		d.set("synced", strconv.FormatBool(p.Synced))
		d.set("healthy", strconv.FormatBool(p.Healthy))
		if p.InProgress {
			d.set("inProgress", "true")
		}
		reason = p.Reason
	case command.CmdPlaceHalt:
		p, _ := command.Decode[command.PlaceHalt](cmd)
		d.set("halt", p.ID)
		d.set("scope", haltScopeText(p.Scope))
		if p.Auto {
			d.set("auto", "true")
		}
		reason = p.Reason
	case command.CmdResumeHalt:
		p, _ := command.Decode[command.ResumeHalt](cmd)
		d.set("halt", p.HaltID)
		reason = p.Reason
	case command.CmdAdoptTopology:
		p, _ := command.Decode[command.AdoptTopology](cmd)
		d.set("revision", p.Revision)
		d.set("path", p.Path)
	case command.CmdRecordBudget:
		p, _ := command.Decode[struct {
			App    string `json:"app"`
			Region string `json:"region"`
		}](cmd)
		d.set("app", p.App)
		d.set("region", p.Region)
	case command.CmdSetMember, command.CmdRemoveMember:
		p, _ := command.Decode[command.MemberMeta](cmd)
		d.set("member", p.ID)
		d.set("httpAddr", p.HTTPAddr)
	default:
		d.set("id", id)
	}
	if len(d) == 0 {
		d = nil
	}
	return d, clip(reason, MaxReasonLen)
}

// baselineText renders what Git held for one region: its version when the
// targets agreed, else each target as "FILE TARGET=VALUE" ("absent" when
// the target did not exist), joined by "; ".
func baselineText(b rings.RegionBaseline) string {
	if b.Version != "" {
		return b.Version
	}
	parts := make([]string, 0, len(b.Targets))
	for _, v := range b.Targets {
		parts = append(parts, v.File+" "+v.Target+"="+cmp.Or(v.Value, "absent"))
	}
	return strings.Join(parts, "; ")
}

// haltScopeText renders a halt scope for the trail: "global" or
// "regions=a,b rings=r".
func haltScopeText(s rings.HaltScope) string {
	if s.Global {
		return "global"
	}
	var parts []string
	for _, l := range []struct {
		k string
		v []string
	}{{"regions", s.Regions}, {"rings", s.Rings}, {"apps", s.Apps}, {"releases", s.Releases}} {
		if len(l.v) > 0 {
			parts = append(parts, l.k+"="+strings.Join(l.v, ","))
		}
	}
	return strings.Join(parts, " ")
}

// clip bounds s to n bytes.
func clip(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// releaseApp names the app of release id in the applied state ("" when
// there is no such release).
// risk sets a DREAD score and the tier it picks: "44/50 damage=8,…" and
// "high".
func (d auditFields) risk(risk *topology.DREAD, look auditLookup) {
	if risk == nil {
		return
	}
	d.set("risk", fmt.Sprintf("%d/%d %s", risk.Score(), topology.DREADScoreMax, risk))
	d.set("riskTier", look.riskTier(risk))
}

// riskTier names the tier risk picks under the topology in force ("" for
// none).
func (m *machine) riskTier(risk *topology.DREAD) string {
	if m.topology == nil {
		return ""
	}
	return m.topology.DecideRisk(risk).Tier
}

func (m *machine) releaseApp(id string) string {
	if r := m.state.ReleaseByID(id); r != nil {
		return r.App
	}
	return ""
}

// Audit returns the matching entries in Index order, the most recent
// q.Limit of them.
func (f *FSM) Audit(q apiclient.AuditQuery) []apiclient.AuditEntry {
	f.mu.RLock()
	all := f.m.audit.all()
	f.mu.RUnlock()
	limit := q.Limit
	if limit <= 0 {
		limit = apiclient.DefaultAuditLimit
	}
	limit = min(limit, apiclient.MaxAuditLimit)
	out := []apiclient.AuditEntry{}
	for _, e := range all {
		if (q.Actor != "" && e.Actor != q.Actor) || (q.Type != "" && e.Type != q.Type) ||
			(!q.Since.IsZero() && e.At.Before(q.Since)) || (!q.Until.IsZero() && e.At.After(q.Until)) {
			continue
		}
		out = append(out, e)
	}
	if len(out) > limit {
		out = out[len(out)-limit:]
	}
	return out
}

// SetAuditRetention sets the trail's bounds; call it before the FSM
// applies anything. Every node must use the same values.
func (f *FSM) SetAuditRetention(r AuditRetention) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.auditRetention = r.withDefaults()
}

// newFSMFor returns the FSM of a node with cfg's request log and audit
// retention.
func newFSMFor(cfg Config) *FSM {
	f := NewFSM(cfg.RequestLogSize)
	f.SetAuditRetention(AuditRetention{MaxEntries: cfg.AuditMaxEntries, MaxEvidence: cfg.AuditMaxEvidence, MaxAge: cfg.AuditMaxAge})
	return f
}

// Audit returns this node's copy of the audit trail, filtered.
func (n *Node) Audit(q apiclient.AuditQuery) []apiclient.AuditEntry { return n.fsm.Audit(q) }
