package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// Label names of the per-master and per-instance series, shared by their
// Descs and their samples so that the two cannot disagree.
const (
	lMasterName    = "master_name"
	lMasterAddress = "master_address"
	lMasterStatus  = "master_status"
	lMessage       = "message"
	lRole          = "role"
	lAddress       = "address"
)

// chunk is how many samples or label pairs are allocated at once.
const chunk = 512

// samples makes one scrape's per-master and per-instance gauges.
// prometheus.NewConstMetric makes each label of each series anew (three
// objects a label, and a sort); at 1,000 masters, with ~25 series each,
// that was most of a scrape's allocations. Here a label value is made
// once per scrape and shared by every series that carries it (a master's
// name by ~20 of them): the registry treats a Metric's label pairs as
// immutable (it copies them rather than sorting in place), and nothing
// else sees them. Samples and pairs come in chunks rather than one
// object each.
type samples struct {
	ch chan<- prometheus.Metric

	gauges []gaugeSample
	pairs  []labelPair
	sets   []*dto.LabelPair

	// Label names, one pointer each per scrape (dto wants pointers).
	masterName, masterAddress, masterStatus, message, role, address *string
}

func newSamples(ch chan<- prometheus.Metric) *samples {
	return &samples{ch: ch,
		masterName: new(lMasterName), masterAddress: new(lMasterAddress), masterStatus: new(lMasterStatus),
		message: new(lMessage), role: new(lRole), address: new(lAddress)}
}

// gaugeSample is one gauge of a scrape.
type gaugeSample struct {
	desc   *prometheus.Desc
	labels []*dto.LabelPair // sorted by name, shared: never written
	gauge  dto.Gauge
	value  float64
}

func (g *gaugeSample) Desc() *prometheus.Desc { return g.desc }

func (g *gaugeSample) Write(m *dto.Metric) error {
	m.Label = g.labels
	m.Gauge = &g.gauge
	return nil
}

// labelPair is a dto.LabelPair with its value next to it.
type labelPair struct {
	dto   dto.LabelPair
	value string
}

// gauge sends a gauge of d with labels, which must be d's variable labels
// sorted by name (set).
func (s *samples) gauge(d *prometheus.Desc, v float64, labels []*dto.LabelPair) {
	if len(s.gauges) == cap(s.gauges) {
		s.gauges = make([]gaugeSample, 0, chunk)
	}
	s.gauges = append(s.gauges, gaugeSample{desc: d, labels: labels, value: v})
	g := &s.gauges[len(s.gauges)-1]
	g.gauge.Value = &g.value
	s.ch <- g
}

// label is the pair name=value, to share between series.
func (s *samples) label(name *string, value string) *dto.LabelPair {
	if len(s.pairs) == cap(s.pairs) {
		s.pairs = make([]labelPair, 0, chunk)
	}
	s.pairs = append(s.pairs, labelPair{value: value})
	p := &s.pairs[len(s.pairs)-1]
	p.dto.Name, p.dto.Value = name, &p.value
	return &p.dto
}

// set is the label set of pairs, given sorted by name (as the text
// format prints them: NewConstMetric sorted them), to share between
// series.
func (s *samples) set(pairs ...*dto.LabelPair) []*dto.LabelPair {
	for k := 1; k < len(pairs); k++ {
		if *pairs[k-1].Name >= *pairs[k].Name {
			panic("metrics: label pairs not sorted by name: " + *pairs[k-1].Name + ", " + *pairs[k].Name)
		}
	}
	if cap(s.sets)-len(s.sets) < len(pairs) {
		s.sets = make([]*dto.LabelPair, 0, max(chunk, len(pairs)))
	}
	start := len(s.sets)
	s.sets = append(s.sets, pairs...)
	return s.sets[start:len(s.sets):len(s.sets)]
}
