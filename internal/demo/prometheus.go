package demo

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
)

// hasData reports whether query returns at least one sample now from the
// Prometheus at base.
func hasData(ctx context.Context, base, query string) (bool, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/api/v1/query?query="+url.QueryEscape(query), nil)
	if err != nil {
		return false, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false, fmt.Errorf("query prometheus: %w", err)
	}
	defer resp.Body.Close()
	var out struct {
		Data struct {
			Result []json.RawMessage `json:"result"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return false, fmt.Errorf("decode prometheus answer: %w", err)
	}
	return len(out.Data.Result) > 0, nil
}
