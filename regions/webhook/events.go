package webhook

import (
	"context"
	"time"

	"github.com/ringleader-dev/ringleader/rings"
)

// PayloadFor builds the payload of event ev about the ring in q at time at.
func PayloadFor(ev Event, q rings.HealthQuery, at time.Time) Payload {
	return Payload{Event: ev, Release: q.ReleaseID, App: q.App, Version: q.Version, Ring: q.Ring, Regions: q.RegionNames(), Time: at.UTC()}
}

// DuringSoakHook sends the during-soak event for q. Its method value fits
// regions.HealthConfig.DuringSoak.
func (c *Client) DuringSoakHook(ctx context.Context, q rings.HealthQuery, at time.Time) error {
	return c.Send(ctx, PayloadFor(DuringSoak, q, at))
}
