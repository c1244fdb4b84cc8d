package auth

import "context"

type ctxKey struct{}

// Caller is what the API knows about a request once it was authenticated:
// the identity and the remote address as seen by the node that accepted it.
type Caller struct {
	Identity
	// Source is the remote address ("10.0.0.7:51234"), with the hop it
	// came through when a follower forwarded it.
	Source string
}

// WithCaller returns ctx carrying c.
func WithCaller(ctx context.Context, c Caller) context.Context {
	return context.WithValue(ctx, ctxKey{}, c)
}

// CallerFrom returns the caller stored in ctx, if any.
func CallerFrom(ctx context.Context) (Caller, bool) {
	c, ok := ctx.Value(ctxKey{}).(Caller)
	return c, ok
}
