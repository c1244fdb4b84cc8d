package notify

import (
	"encoding/json"
	"strings"
)

// slackMessage is a Slack-compatible incoming-webhook body: text for
// clients without blocks (and notifications), blocks for the message.
type slackMessage struct {
	Text   string       `json:"text"`
	Blocks []slackBlock `json:"blocks"`
}

type slackBlock struct {
	Type     string      `json:"type"`
	Text     *slackText  `json:"text,omitempty"`
	Elements []slackText `json:"elements,omitempty"`
}

type slackText struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

// icons prefix the Slack text by kind, so a failure stands out in a channel.
var icons = map[Kind]string{
	KindRingPromoted:      ":arrow_forward:",
	KindRingFailed:        ":x:",
	KindHaltPlaced:        ":octagonal_sign:",
	KindHaltResumed:       ":arrow_forward:",
	KindApprovalNeeded:    ":raised_hand:",
	KindReleaseCompleted:  ":white_check_mark:",
	KindReleaseRolledBack: ":leftwards_arrow_with_hook:",
	KindReleaseAborted:    ":no_entry:",

	KindReleaseRollbackFailed: ":rotating_light:",
}

// slackBody renders ev as a Slack incoming-webhook message: one section
// with the summary and one context line naming what it concerns.
func slackBody(ev Event) ([]byte, error) {
	text := slackEscape(ev.Text)
	if icon := icons[ev.Kind]; icon != "" {
		text = icon + " " + text
	}
	var ctx []string
	for _, kv := range [][2]string{{"release", ev.Release}, {"ring", ev.Ring}, {"halt", ev.Halt}, {"by", ev.Actor}} {
		if kv[1] != "" {
			ctx = append(ctx, kv[0]+" `"+slackEscape(kv[1])+"`")
		}
	}
	ctx = append(ctx, string(ev.Kind), ev.At.UTC().Format("2006-01-02 15:04:05Z"))
	msg := slackMessage{
		Text: text,
		Blocks: []slackBlock{
			{Type: "section", Text: &slackText{Type: "mrkdwn", Text: text}},
			{Type: "context", Elements: []slackText{{Type: "mrkdwn", Text: strings.Join(ctx, " · ")}}},
		},
	}
	return json.Marshal(msg)
}

// slackEscape escapes the three characters Slack's mrkdwn reserves.
func slackEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// webhookBody renders ev for the generic webhook: the event itself.
func webhookBody(ev Event) ([]byte, error) { return json.Marshal(ev) }
