package harness

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// socketInode returns the inode of the loopback TCP socket whose local
// port is localPort and whose peer port is peerPort, from /proc/net/tcp and
// /proc/net/tcp6 (0 when none is found).
func socketInode(localPort, peerPort int) uint64 {
	for _, f := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		if ino := scanTCPTable(f, localPort, peerPort); ino != 0 {
			return ino
		}
	}
	return 0
}

func scanTCPTable(path string, localPort, peerPort int) uint64 {
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	lp, pp := fmt.Sprintf(":%04X", localPort), fmt.Sprintf(":%04X", peerPort)
	sc := bufio.NewScanner(f)
	sc.Scan() // header
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 10 {
			continue
		}
		if strings.HasSuffix(fields[1], lp) && strings.HasSuffix(fields[2], pp) {
			ino, err := strconv.ParseUint(fields[9], 10, 64)
			if err == nil && ino != 0 {
				return ino
			}
		}
	}
	return 0
}

// ownsSocket reports whether process pid holds the socket with inode ino.
func ownsSocket(pid int, ino uint64) bool {
	dir := filepath.Join("/proc", strconv.Itoa(pid), "fd")
	ents, err := os.ReadDir(dir)
	if err != nil {
		return false
	}
	want := "socket:[" + strconv.FormatUint(ino, 10) + "]"
	for _, e := range ents {
		if l, err := os.Readlink(filepath.Join(dir, e.Name())); err == nil && l == want {
			return true
		}
	}
	return false
}
