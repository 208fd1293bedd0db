package health

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/qsentinel/qsentinel/failover"
)

// fakeSource is one master "m" at 10.0.0.1:6379 with a replica at
// 10.0.0.2:6379 (lagging 500 bytes), and an agreement the test sets.
type fakeSource struct{ agree int }

var _ Source = (*fakeSource)(nil)

func (f *fakeSource) MasterNames() []string { return []string{"m"} }

func (f *fakeSource) Agreement(name string) (failover.Agreement, error) {
	return failover.Agreement{Agree: f.agree, Need: 2, Group: 3, Unreachable: 3 - f.agree}, nil
}

func (f *fakeSource) MasterAddr(name string) (string, int, bool) {
	return "10.0.0.1", 6379, name == "m"
}

func (f *fakeSource) ServerVerdict(name, addr string, read bool, maxLag int64) (bool, string) {
	if f.agree < 2 {
		return false, "no quorum view"
	}
	switch {
	case addr == "10.0.0.1:6379":
		return true, ""
	case addr == "10.0.0.2:6379" && read && (maxLag == 0 || maxLag >= 500):
		return true, ""
	case addr == "10.0.0.2:6379" && read:
		return false, "lagging 500 bytes"
	}
	return false, "replica of 10.0.0.1:6379"
}

func get(t *testing.T, h http.Handler, path string) (int, map[string]any) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
	var body map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatalf("%s: %v: %q", path, err, rec.Body.String())
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Fatalf("%s: content type %q", path, ct)
	}
	return rec.Code, body
}

func TestEndpoints(t *testing.T) {
	src := &fakeSource{agree: 3}
	h := Handler(src)
	for _, c := range []struct {
		path string
		code int
	}{
		{"/liveness", 200},
		{"/readiness", 200},
		{"/master/m", 200},
		{"/master/nope", 404},
		{"/master/m/primary?addr=10.0.0.1:6379", 200},
		{"/master/m/primary?addr=10.0.0.2:6379", 503},
		{"/master/m/primary", 400},
		{"/master/m/replica?addr=10.0.0.2:6379", 200},
		{"/master/m/replica?addr=10.0.0.2:6379&lag=100", 503},
		{"/master/m/replica?addr=10.0.0.2:6379&lag=x", 400},
		{"/master/m/replica?addr=10.0.0.1:6379", 503},
		{"/master/nope/replica?addr=10.0.0.1:6379", 404},
	} {
		if code, body := get(t, h, c.path); code != c.code {
			t.Errorf("%s: %d %v, want %d", c.path, code, body, c.code)
		}
	}
	_, body := get(t, h, "/master/m")
	if body["ip"] != "10.0.0.1" || body["port"] != float64(6379) || body["up"] != true {
		t.Errorf("/master/m: %v", body)
	}
	_, body = get(t, h, "/master/m/replica?addr=10.0.0.1:6379")
	if body["reason"] != "is the master" {
		t.Errorf("master as replica: %v", body)
	}

	// Cut off from the peers: not ready, and no role is vouched for.
	src.agree = 1
	for _, p := range []string{"/readiness", "/master/m", "/master/m/primary?addr=10.0.0.1:6379", "/master/m/replica?addr=10.0.0.2:6379"} {
		if code, body := get(t, h, p); code != 503 {
			t.Errorf("%s in a minority: %d %v", p, code, body)
		}
	}
	code, body := get(t, h, "/readiness")
	m := body["masters"].(map[string]any)["m"].(map[string]any)
	if code != 503 || m["ok"] != false || m["agree"] != float64(1) || m["reason"] == "" {
		t.Errorf("readiness: %v", body)
	}
	if code, _ := get(t, h, "/liveness"); code != 200 {
		t.Errorf("liveness in a minority: %d", code)
	}
}
