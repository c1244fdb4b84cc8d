package webhook_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"time"

	"github.com/ringleader-dev/ringleader/regions/webhook"
)

// A receiver checks the signature over the exact body before trusting it,
// and answers 401 to anything that does not verify.
func ExampleVerify() {
	secret := []byte("shared-secret")
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			http.Error(w, "read body", http.StatusBadRequest)
			return
		}
		if err := webhook.Verify(secret, r.Header, body, time.Now(), 0); err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		w.WriteHeader(http.StatusNoContent) // pre-promotion: go ahead
	})

	body := `{"event":"pre-promotion","release":"r1"}`
	for _, key := range []string{"shared-secret", "guessed"} {
		now := time.Now()
		req := httptest.NewRequest(http.MethodPost, "/hook", strings.NewReader(body))
		req.Header.Set(webhook.HeaderTimestamp, strconv.FormatInt(now.Unix(), 10))
		req.Header.Set(webhook.HeaderSignature, webhook.Sign([]byte(key), now, []byte(body)))
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, req)
		fmt.Println(key, rec.Code)
	}
	// Output:
	// shared-secret 204
	// guessed 401
}
