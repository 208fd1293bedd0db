# Every target works on a fresh Debian machine; `make deps` installs what is missing.
GO ?= go
BIN := bin/sentinel

.PHONY: build test demo deps clientdeps fuzz bench bench-short chaos difffuzz sim jepsen soak deb clean

# CGO_ENABLED=0: a static binary without libc maps ~3 MB less per process
# (BENCHMARKS.md); nothing here needs cgo (pure-Go DNS resolver).
build:
	CGO_ENABLED=0 $(GO) build -o $(BIN) ./cmd/sentinel

# The one test command (README and .ci/run use exactly this). Unit tests
# run with the race detector (a read of group state after its lock was
# released got past the plain run); the simulator's seeds (1,000 of each
# scenario, about a minute; 20 more under the race detector) run before
# the end-to-end tests, not beside them: on two cores the seeds would
# steal the CPU the e2e tests' timings count on.
test: deps clientdeps build
	$(GO) vet ./...
	$(GO) test -race -count=1 -timeout 10m $$($(GO) list ./... | grep -v -e /e2e -e /sim)
	SIM_SEEDS=20 $(GO) test -race -count=1 -timeout 10m ./sim/...
	SIM_SEEDS=1000 $(GO) test -count=1 -timeout 10m ./sim/...
	$(GO) test -count=1 -timeout 25m ./e2e/...

demo: deps build
	$(GO) run ./e2e/demo

deps:
	@bash scripts/deps.sh

# Only the client tests need Node packages: the demo does not run npm.
clientdeps:
	@bash scripts/clientdeps.sh

# Each fuzz target for a minute (go test -fuzz takes one target at a time).
fuzz:
	$(GO) test -run XXX -fuzz FuzzParseInfo -fuzztime 60s ./failover/
	$(GO) test -run XXX -fuzz FuzzParseHello -fuzztime 60s ./failover/
	$(GO) test -run XXX -fuzz FuzzParseReply -fuzztime 60s ./redislink/
	$(GO) test -run XXX -fuzz FuzzParse -fuzztime 60s ./sentinelconf/
	$(GO) test -run XXX -fuzz FuzzCommand -fuzztime 60s ./respserver/
	$(GO) test -run XXX -fuzz FuzzReadInAnyPieces -fuzztime 60s ./respserver/
	$(GO) test -run XXX -fuzz FuzzParseRequest -fuzztime 60s ./agentcheck/
	$(GO) test -run XXX -fuzz FuzzMatch -fuzztime 60s ./glob/

# Seeded random fault rounds (the CI run does 6): ROUNDS=n SEED=s to replay,
# IMPLS=ours,redis-sentinel,ours for a mixed group.
chaos: deps build
	QSENTINEL_CHAOS_ROUNDS=$(or $(ROUNDS),100) QSENTINEL_CHAOS_SEED=$(SEED) QSENTINEL_CHAOS_IMPLS=$(IMPLS) \
		$(GO) test -count=1 -timeout 4h -run TestRandomFaultRounds -v ./e2e/

# Every data-path scenario with a checked history (lost acknowledged writes,
# linearizability) for three setups side by side: redis-sentinel + the
# tcp-check recipe, ours, ours zero-loss (fence + WAIT 1); prints
# RELIABILITY.md's "Histories" table. SEED=s replays the clients'
# operations; SCENARIOS=flapping runs the scenarios whose name matches (a
# go test -run pattern; SCENARIOS=flapping/zero-loss one setup of them).
# The real clock jump runs only with QSENTINEL_JEPSEN_CLOCK=1 (it moves
# every process's clock on the host).
jepsen: deps build
	QSENTINEL_JEPSEN=1 QSENTINEL_JEPSEN_SEED=$(SEED) SENTINEL_BIN=$(BIN) \
		$(GO) test -count=1 -timeout 90m -run '^TestJepsen$$/$(SCENARIOS)' -v ./e2e/

# The soak (issue 17 item 6): ours under the jepsen workload with random
# faults drawn from the jepsen scenarios (seeded: SEED=s replays the
# draws), checked in windows (WINDOW, default 3m) so memory stays bounded,
# a running summary after each window. DURATION=30m (default 10m; under
# 5h), SETUP=zero-loss for the documented zero-loss configuration.
soak: deps build
	QSENTINEL_SOAK_DURATION=$(or $(DURATION),10m) QSENTINEL_SOAK_WINDOW=$(WINDOW) QSENTINEL_SOAK_SETUP=$(SETUP) \
		QSENTINEL_JEPSEN_SEED=$(SEED) SENTINEL_BIN=$(BIN) \
		$(GO) test -count=1 -timeout 6h -run '^TestSoak$$' -v ./e2e/

# The differential fuzzer for longer than make test's bounded run (40s):
# DURATION=10m (default) or SESSIONS=n, SEED=s to replay (a new random seed
# by default; make test always starts from the same one); new differences
# are saved as sessions under $(DIFFFUZZ_SAVE), ready for e2e/testdata/difffuzz.
DIFFFUZZ_SAVE ?= /tmp/qsentinel-difffuzz
difffuzz: deps build
	QSENTINEL_DIFFFUZZ_DURATION=$(or $(DURATION),10m) QSENTINEL_DIFFFUZZ_SESSIONS=$(SESSIONS) QSENTINEL_DIFFFUZZ_SEED=$(or $(SEED),random) \
		QSENTINEL_DIFFFUZZ_SAVE=$(DIFFFUZZ_SAVE) SENTINEL_BIN=$(BIN) \
		$(GO) test -count=1 -timeout 4h -run TestDiffFuzz -v ./e2e/

bench: deps build
	$(GO) run ./e2e/bench

# Every table at the sizes that show a regression, in a few minutes: run
# it before and after a performance change (BENCHMARKS.md, "Reproduce").
bench-short: deps build
	$(GO) run ./e2e/bench -short

# The deterministic simulator's seeds (make test runs 1,000 of each
# scenario): SEEDS=n runs seeds 1..n, SEED=s replays one with its full
# trace printed on failure. ./sim runs the Redis model alone, ./sim/simsentinel
# the sentinels' failover machines in it (Chaos and LeaderCrash).
sim:
	SIM_SEEDS=$(or $(SEEDS),10000) SIM_SEED=$(SEED) $(GO) test -count=1 -timeout 2h -run '^Test(LeaderCrash)?Seeds$$' -v ./sim/ ./sim/simsentinel/

# The Debian package, bin/qsentinel_<version>_<arch>.deb (packaging/): nfpm
# at a pinned version through the Go module proxy, no other tool needed.
NFPM := github.com/goreleaser/nfpm/v2/cmd/nfpm@v2.45.2
DEB_VERSION ?= 0.1~git$(shell git rev-parse --short HEAD 2>/dev/null || echo 0)
deb: build
	cd packaging && VERSION='$(DEB_VERSION)' ARCH=$$($(GO) env GOARCH) \
		$(GO) run $(NFPM) package --packager deb --target ../bin/

clean:
	rm -rf bin
