package topology

import (
	"fmt"

	"github.com/robfig/cron/v3"
)

// scheduleParser accepts the standard five-field cron syntax (minute, hour,
// day of month, month, day of week, with names such as MON-THU) and the
// @daily-style descriptors.
var scheduleParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// ParseSchedule parses a five-field cron expression. The schedule is
// evaluated in whatever location the time passed to Next carries.
func ParseSchedule(spec string) (cron.Schedule, error) {
	s, err := scheduleParser.Parse(spec)
	if err != nil {
		return nil, fmt.Errorf("invalid cron schedule %q: %w", spec, err)
	}
	return s, nil
}
