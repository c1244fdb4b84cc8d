package server

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"time"
)

// Test-only failpoints on the batch path, for the end-to-end suite (e2e):
// each is set by an environment variable naming a file and does nothing
// when unset. They fire once per cluster: the node that fires first
// creates a marker file the others (and its own later batches) see.
const (
	// HoldBatchEnv: before the first push of a batch of two or more
	// promotions (after it is built, before its checks), create
	// FILE.held and wait until FILE exists. The test places a halt
	// meanwhile: a halt acknowledged while a batch is being built.
	HoldBatchEnv = "RINGLEADER_TEST_HOLD_BATCH"
	// HangAfterBatchPushEnv: after a batch of two or more promotions
	// landed in Git, before anything is recorded, create FILE and block
	// until the loop stops. The test kills the node: a leader dead between
	// push and record.
	HangAfterBatchPushEnv = "RINGLEADER_TEST_HANG_AFTER_BATCH_PUSH"
)

// failpoints holds the files named by the environment.
type failpoints struct {
	holdBatch, hangAfterPush string
}

func failpointsFromEnv() failpoints {
	return failpoints{holdBatch: os.Getenv(HoldBatchEnv), hangAfterPush: os.Getenv(HangAfterBatchPushEnv)}
}

// holdBefore wraps a batch's check with the HoldBatchEnv failpoint.
func (f failpoints) holdBefore(check func(context.Context) error, n int) func(context.Context) error {
	if f.holdBatch == "" || n < 2 {
		return check
	}
	return func(ctx context.Context) error {
		if fired(f.holdBatch + ".held") {
			if check == nil {
				return nil
			}
			return check(ctx)
		}
		if err := waitFor(ctx, f.holdBatch); err != nil {
			return err
		}
		if check == nil {
			return nil
		}
		return check(ctx)
	}
}

// hangAfter blocks until ctx ends when the HangAfterBatchPushEnv
// failpoint fires for a batch that pushed commits carrying n promotions.
func (f failpoints) hangAfter(ctx context.Context, n int) {
	if f.hangAfterPush == "" || n < 2 || fired(f.hangAfterPush) {
		return
	}
	<-ctx.Done()
}

// fired creates marker unless it exists, and reports whether it existed.
func fired(marker string) bool {
	fh, err := os.OpenFile(marker, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if errors.Is(err, fs.ErrExist) {
		return true
	}
	if err == nil {
		_ = fh.Close()
	}
	return false
}

// waitFor polls for file until it exists or ctx ends.
func waitFor(ctx context.Context, file string) error {
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for {
		if _, err := os.Stat(file); err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}
