package prometheus

import (
	"errors"
	"testing"
)

func TestRender(t *testing.T) {
	t.Parallel()
	vars := Vars{Region: "us-east-1", App: "checkout", Version: "v1.4.2", BaselineVersion: "v1.4.1", Window: "720h"}
	cases := []struct {
		name string
		tmpl string
		vars Vars
		want string
	}{
		{"all placeholders",
			`x{region="{{region}}",app="{{app}}",version="{{version}}",old="{{baselineVersion}}"}[{{window}}]`, vars,
			`x{region="us-east-1",app="checkout",version="v1.4.2",old="v1.4.1"}[720h]`},
		{"spaces inside the braces", `x{region="{{ region }}"}`, vars, `x{region="us-east-1"}`},
		{"no placeholders", `sum(up)`, vars, `sum(up)`},
		{"double quote and backslash escaped", `x{region="{{region}}"}`, Vars{Region: `a"b\c`}, `x{region="a\"b\\c"}`},
		{"closing brace cannot end the selector", `x{region="{{region}}"}`, Vars{Region: `a"} or vector(1) or x{y="`}, `x{region="a\"} or vector(1) or x{y=\""}`},
		{"newline and control characters", `x{region="{{region}}"}`, Vars{Region: "a\nb\x01"}, `x{region="a\nb\x01"}`},
		{"single-quoted literal", `x{region='{{region}}'}`, Vars{Region: `o'b"c`}, `x{region='o\'b"c'}`},
		{"regex matcher quotes metacharacters", `x{region=~"{{region}}"}`, Vars{Region: "eu.west+1"}, `x{region=~"eu\\.west\\+1"}`},
		{"negative regex matcher too", `x{region!~ "{{region}}"}`, Vars{Region: "a|b"}, `x{region!~ "a\\|b"}`},
		{"equality after a regex matcher is not a regex", `x{a=~"z.*",region="{{region}}"}`, Vars{Region: "eu.west"}, `x{a=~"z.*",region="eu.west"}`},
		{"comment before the placeholder", "up # region's SLI\n * on() x{region=\"{{region}}\"}", Vars{Region: "r"}, "up # region's SLI\n * on() x{region=\"r\"}"},
		{"hash inside a string is not a comment", `x{a="#",region="{{region}}"}`, Vars{Region: `"`}, `x{a="#",region="\""}`},
		{"escaped quote in the template does not end the string", `x{a="q\"{{region}}"}`, Vars{Region: `"`}, `x{a="q\"\""}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := Render(tc.tmpl, tc.vars)
			if err != nil || got != tc.want {
				t.Fatalf("Render = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

func TestRenderRefuses(t *testing.T) {
	t.Parallel()
	vars := Vars{Region: "r", App: "a", Version: "v", Window: "1h"}
	cases := []struct {
		name string
		tmpl string
		vars Vars
	}{
		{"placeholder outside quotes", `x{region={{region}}}`, vars},
		{"placeholder as a metric name", `{{app}}_requests_total`, vars},
		{"unknown placeholder", `x{r="{{zone}}"}`, vars},
		{"empty value", `x{v="{{baselineVersion}}"}`, vars},
		{"backquoted string", "x{region=`{{region}}`}", vars},
		{"window inside quotes", `x{w="{{window}}"}`, vars},
		{"window that is not a duration", `x[{{window}}]`, Vars{Window: "1h] or vector(1) #"}},
		{"quote in a comment does not open a string", "up # it's\n{region={{region}}}", vars},
		{"placeholder in a comment", `up # {{region}}`, vars},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := Render(tc.tmpl, tc.vars)
			if !errors.Is(err, ErrTemplate) {
				t.Fatalf("Render = %q, %v; want ErrTemplate", got, err)
			}
		})
	}
}

func FuzzRenderStaysInsideTheLiteral(f *testing.F) {
	f.Add(`a"b\c`)
	f.Add("eu.west\n")
	f.Fuzz(func(t *testing.T, region string) {
		got, err := Render(`x{region="{{region}}"} + y`, Vars{Region: region})
		if region == "" {
			if err == nil {
				t.Fatal("empty value accepted")
			}
			return
		}
		if err != nil {
			t.Fatalf("Render: %v", err)
		}
		// Whatever the value, the literal must end exactly before "} + y":
		// scanning the output finds no placeholder context change.
		s := scanner{}
		s.feed(got[:len(got)-len(`"} + y`)])
		if s.quote != '"' {
			t.Fatalf("value %q escaped the string literal: %q", region, got)
		}
		s.feed(got[len(got)-len(`"} + y`):])
		if s.quote != 0 {
			t.Fatalf("value %q left the literal open: %q", region, got)
		}
	})
}
