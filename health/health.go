// Package health serves HTTP health endpoints in Patroni's convention —
// 200 for the role asked, 503 otherwise, a JSON body saying why — for
// Kubernetes probes and HTTP load-balancer checks, from the sentinel's
// quorum view (the same view the HAProxy agent-check answers from).
//
//	GET /liveness                               200 while the process serves
//	GET /readiness                              200 while every master's group agrees (a majority of its sentinels see the master as we do)
//	GET /master/{name}                          200 with the quorum's master of name, while agreed and not down
//	GET /master/{name}/primary?addr=ip:port     200 if addr is that master
//	GET /master/{name}/replica?addr=ip:port[&lag=bytes]
//	                                            200 if addr is a replica of it, link up, within lag bytes
package health

import (
	"encoding/json"
	"net"
	"net/http"
	"strconv"

	"github.com/qsentinel/qsentinel/failover"
)

// Source is the sentinel's view; *sentinel.Sentinel implements it
// (through a small adapter in cmd/sentinel).
type Source interface {
	MasterNames() []string
	// Agreement is how much of name's group sees its master as we do.
	Agreement(name string) (failover.Agreement, error)
	// MasterAddr is the quorum's master of name as we know it.
	MasterAddr(name string) (host string, port int, ok bool)
	// ServerVerdict is the agent-check's verdict on addr: the master
	// (read false) or a server fit for reads (read true, within maxLag
	// bytes when maxLag > 0), and why not.
	ServerVerdict(name, addr string, read bool, maxLag int64) (bool, string)
}

// Handler serves the endpoints from src.
func Handler(src Source) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /liveness", func(w http.ResponseWriter, _ *http.Request) {
		reply(w, http.StatusOK, map[string]any{"status": "ok"})
	})
	mux.HandleFunc("GET /readiness", func(w http.ResponseWriter, _ *http.Request) { readiness(w, src) })
	mux.HandleFunc("GET /master/{name}", func(w http.ResponseWriter, r *http.Request) { master(w, src, r.PathValue("name")) })
	mux.HandleFunc("GET /master/{name}/primary", func(w http.ResponseWriter, r *http.Request) {
		server(w, r, src, false)
	})
	mux.HandleFunc("GET /master/{name}/replica", func(w http.ResponseWriter, r *http.Request) {
		server(w, r, src, true)
	})
	return mux
}

// agreement is an Agreement as JSON shows it.
type agreement struct {
	Agree  int    `json:"agree"`
	Need   int    `json:"need"`
	Group  int    `json:"group"`
	OK     bool   `json:"ok"`
	Reason string `json:"reason,omitempty"`
}

func agreementOf(a failover.Agreement) agreement {
	j := agreement{Agree: a.Agree, Need: a.Need, Group: a.Group, OK: a.OK()}
	if !j.OK {
		j.Reason = a.String()
	}
	return j
}

func readiness(w http.ResponseWriter, src Source) {
	ready := true
	masters := map[string]agreement{}
	for _, name := range src.MasterNames() {
		a, err := src.Agreement(name)
		if err != nil {
			continue // removed meanwhile
		}
		j := agreementOf(a)
		ready = ready && j.OK
		masters[name] = j
	}
	code := http.StatusOK
	if !ready {
		code = http.StatusServiceUnavailable
	}
	reply(w, code, map[string]any{"ready": ready, "masters": masters})
}

func master(w http.ResponseWriter, src Source, name string) {
	host, port, ok := src.MasterAddr(name)
	if !ok {
		reply(w, http.StatusNotFound, map[string]any{"master": name, "reason": "no such master"})
		return
	}
	a, _ := src.Agreement(name)
	addr := net.JoinHostPort(host, strconv.Itoa(port))
	up, reason := src.ServerVerdict(name, addr, false, 0)
	body := map[string]any{"master": name, "ip": host, "port": port, "up": up, "agreement": agreementOf(a)}
	code := http.StatusOK
	if !up {
		code, body["reason"] = http.StatusServiceUnavailable, reason
	}
	reply(w, code, body)
}

// server answers primary (read false) or replica (read true) for ?addr=.
func server(w http.ResponseWriter, r *http.Request, src Source, replica bool) {
	name, addr := r.PathValue("name"), r.URL.Query().Get("addr")
	if _, _, err := net.SplitHostPort(addr); err != nil {
		reply(w, http.StatusBadRequest, map[string]any{"master": name, "reason": "addr=ip:port is required"})
		return
	}
	var maxLag int64
	if v := r.URL.Query().Get("lag"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			reply(w, http.StatusBadRequest, map[string]any{"master": name, "reason": "lag must be a number of bytes"})
			return
		}
		maxLag = n
	}
	if _, _, ok := src.MasterAddr(name); !ok {
		reply(w, http.StatusNotFound, map[string]any{"master": name, "reason": "no such master"})
		return
	}
	role := "primary"
	up, reason := src.ServerVerdict(name, addr, false, 0)
	if replica {
		role = "replica"
		if up {
			up, reason = false, "is the master"
		} else {
			up, reason = src.ServerVerdict(name, addr, true, maxLag)
		}
	}
	body := map[string]any{"master": name, "addr": addr, "role": role, "up": up}
	code := http.StatusOK
	if !up {
		code, body["reason"] = http.StatusServiceUnavailable, reason
	}
	reply(w, code, body)
}

func reply(w http.ResponseWriter, code int, body any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(body)
}
