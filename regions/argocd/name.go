package argocd

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// ErrTemplate marks an Application name template that cannot be rendered
// into a valid Application name. Fix the region's argocd.application in the
// topology.
var ErrTemplate = errors.New("invalid argocd application template")

var (
	namePlaceholder = regexp.MustCompile(`\{\{\s*([A-Za-z]*)\s*\}\}`)
	// appName is a Kubernetes object name (a DNS-1123 subdomain), which is
	// what an Argo CD Application's name must be.
	validName = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)
)

// ApplicationName renders a region's Application template: {{app}} becomes
// app and {{region}} becomes region ("{{app}}-{{region}}" gives
// "checkout-us-east-1"). Spaces inside the braces are allowed. Any other
// placeholder, a stray "{{" or "}}", or a result that is not a valid
// Kubernetes object name (lower case letters, digits, '-' and '.', at most
// 253 characters) is refused with ErrTemplate.
func ApplicationName(tmpl, app, region string) (string, error) {
	var out strings.Builder
	last := 0
	for _, m := range namePlaceholder.FindAllStringSubmatchIndex(tmpl, -1) {
		out.WriteString(tmpl[last:m[0]])
		last = m[1]
		switch name := tmpl[m[2]:m[3]]; name {
		case "app":
			out.WriteString(app)
		case "region":
			out.WriteString(region)
		default:
			return "", fmt.Errorf("%w %q: unknown placeholder {{%s}}; use {{app}} and {{region}}", ErrTemplate, tmpl, name)
		}
	}
	out.WriteString(tmpl[last:])
	name := out.String()
	if strings.Contains(name, "{{") || strings.Contains(name, "}}") {
		return "", fmt.Errorf("%w %q: unbalanced braces; placeholders are {{app}} and {{region}}", ErrTemplate, tmpl)
	}
	if len(name) > 253 || !validName.MatchString(name) {
		return "", fmt.Errorf("%w %q: renders %q for app %q in region %q, which is not a valid Application name (lower case letters, digits, '-' and '.', at most 253 characters)", ErrTemplate, tmpl, name, app, region)
	}
	return name, nil
}
