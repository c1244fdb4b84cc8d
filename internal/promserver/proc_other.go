//go:build !linux

package promserver

import "os/exec"

func setProcAttr(*exec.Cmd) {}
