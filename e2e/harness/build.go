package harness

import (
	"fmt"
	"net"
	"os/exec"
	"strings"

	"github.com/ringleader-dev/ringleader/internal/ringdtest"
)

// Binaries are the ringd, ringctl and ringsim built for one test package,
// and what this ringd can do (features other issues add land at different times; a
// scenario that needs one is skipped, naming it, until it is there).
type Binaries struct {
	Ringd, Ringctl, Ringsim string
	Caps                    Caps
}

// Caps are the optional ringd features the scenarios depend on, detected
// from `ringd -h` and `ringsim -h`.
type Caps struct {
	// GitOps: ringd writes promotions and fences to a Git repository
	// (--gitops-url) and reads health from the topology's Argo CD and
	// Prometheus sources.
	GitOps bool
	// TopologyFromGit: --topology accepts <git url>#<path>.
	TopologyFromGit bool
	// SimRegions: `ringsim` runs the simulated regions.
	SimRegions bool
	// Tokens: --tokens-file authenticates API callers.
	Tokens bool
	// Help is ringd's flag help, for messages.
	Help string
}

// Missing names what a scenario needs and this build lacks ("" when
// nothing is missing).
func (c Caps) Missing(needGitOps, needSim bool) string {
	var miss []string
	if needGitOps && !c.GitOps {
		miss = append(miss, "ringd --gitops-url (real Git promoter and halt fence; the wiring issue)")
	}
	if needGitOps && !c.TopologyFromGit {
		miss = append(miss, "ringd --topology <git url>#<path> (the wiring issue)")
	}
	if needSim && !c.SimRegions {
		miss = append(miss, "`ringsim` (simulated regions, cmd/ringsim)")
	}
	return strings.Join(miss, "; ")
}

// Build compiles ringd, ringctl and ringsim once per test binary (through
// internal/ringdtest, the one builder every ringd test uses) and detects
// what this ringd can do. ringdtest.Cleanup removes them.
func Build() (*Binaries, error) {
	paths, err := ringdtest.Build("ringd", "ringctl", "ringsim")
	if err != nil {
		return nil, err
	}
	b := &Binaries{Ringd: paths[0], Ringctl: paths[1], Ringsim: paths[2]}
	b.Caps = detect(b.Ringd, b.Ringsim)
	return b, nil
}

// detect reads ringd's and ringsim's flag help to see which features they
// have.
func detect(ringd, ringsim string) Caps {
	help, _ := exec.Command(ringd, "-h").CombinedOutput()
	sim, _ := exec.Command(ringsim, "-h").CombinedOutput()
	h := string(help)
	return Caps{
		GitOps:          strings.Contains(h, "-gitops-url"),
		TopologyFromGit: strings.Contains(h, "-gitops-url") && strings.Contains(h, "#"),
		SimRegions:      strings.Contains(string(sim), "-argocd-addr"),
		Tokens:          strings.Contains(h, "-tokens-file"),
		Help:            h,
	}
}

// FreePort returns a loopback port nobody listens on right now.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("pick a free loopback port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// FreeAddr returns 127.0.0.1:<free port>.
func FreeAddr() (string, error) {
	p, err := FreePort()
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("127.0.0.1:%d", p), nil
}
