package sentinelconf

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Enabled reports whether any TLS is configured.
func (t TLS) Enabled() bool { return t.Port != 0 || t.Replication }

// ServerConfig is the tls.Config of our TLS port: our certificate, and
// client certificates checked against the CA as tls-auth-clients says.
func (t TLS) ServerConfig() (*tls.Config, error) {
	cert, err := loadPair(t.CertFile, t.KeyFile, "tls-cert-file", "tls-key-file")
	if err != nil {
		return nil, err
	}
	pool, err := t.caPool()
	if err != nil {
		return nil, err
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}, ClientCAs: pool}
	cfg.MinVersion, cfg.MaxVersion = t.versions()
	switch t.AuthClients {
	case "no":
		cfg.ClientAuth = tls.NoClientCert
	case "optional":
		cfg.ClientAuth = tls.VerifyClientCertIfGiven
	default:
		cfg.ClientAuth = tls.RequireAndVerifyClientCert
	}
	return cfg, nil
}

// ClientConfig is the tls.Config of the links we open to Redis and peers
// (tls-replication yes). Like redis, it checks the server's chain against
// the CA but not its host name: instances are addressed by IP.
func (t TLS) ClientConfig() (*tls.Config, error) {
	certFile, keyFile := t.ClientCertFile, t.ClientKeyFile
	if certFile == "" {
		certFile, keyFile = t.CertFile, t.KeyFile
	}
	cert, err := loadPair(certFile, keyFile, "tls-client-cert-file", "tls-client-key-file")
	if err != nil {
		return nil, err
	}
	pool, err := t.caPool()
	if err != nil {
		return nil, err
	}
	lo, hi := t.versions()
	return &tls.Config{
		Certificates:       []tls.Certificate{cert},
		MinVersion:         lo,
		MaxVersion:         hi,
		InsecureSkipVerify: true, // replaced by VerifyConnection: chain yes, name no
		VerifyConnection: func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return errors.New("tls: server sent no certificate")
			}
			inter := x509.NewCertPool()
			for _, c := range cs.PeerCertificates[1:] {
				inter.AddCert(c)
			}
			_, err := cs.PeerCertificates[0].Verify(x509.VerifyOptions{
				Roots: pool, Intermediates: inter, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny},
			})
			return err
		},
	}, nil
}

func loadPair(certFile, keyFile, certName, keyName string) (tls.Certificate, error) {
	if certFile == "" || keyFile == "" {
		return tls.Certificate{}, fmt.Errorf("TLS needs %s and %s", certName, keyName)
	}
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("%s/%s: %w", certName, keyName, err)
	}
	return cert, nil
}

func (t TLS) caPool() (*x509.CertPool, error) {
	if t.CACertFile == "" && t.CACertDir == "" {
		return nil, errors.New("TLS needs tls-ca-cert-file or tls-ca-cert-dir")
	}
	pool := x509.NewCertPool()
	var files []string
	if t.CACertFile != "" {
		files = append(files, t.CACertFile)
	}
	if t.CACertDir != "" {
		entries, err := os.ReadDir(t.CACertDir)
		if err != nil {
			return nil, fmt.Errorf("tls-ca-cert-dir: %w", err)
		}
		for _, e := range entries {
			if !e.IsDir() {
				files = append(files, filepath.Join(t.CACertDir, e.Name()))
			}
		}
	}
	added := false
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("CA certificate: %w", err)
		}
		if pool.AppendCertsFromPEM(b) {
			added = true
		}
	}
	if !added {
		return nil, fmt.Errorf("no CA certificate found in %v", files)
	}
	return pool, nil
}

// versions is the range of TLS versions tls-protocols allows; redis's
// default is TLS 1.2 and 1.3.
func (t TLS) versions() (lo, hi uint16) {
	if t.MinVersion == 0 {
		return tls.VersionTLS12, tls.VersionTLS13
	}
	return t.MinVersion, t.MaxVersion
}

// tlsProtocols parses tls-protocols ("TLSv1.2 TLSv1.3") into a range of
// versions. Go sets a minimum and a maximum only, so a list with a gap
// ("TLSv1 TLSv1.2") cannot be honoured and is refused.
func tlsProtocols(arg string) (lo, hi uint16, reason string) {
	if arg == "" {
		return 0, 0, ""
	}
	const invalid = "Invalid tls-protocols specified. Use a combination of 'TLSv1', 'TLSv1.1', 'TLSv1.2' and 'TLSv1.3'."
	names := map[string]uint16{"tlsv1": tls.VersionTLS10, "tlsv1.1": tls.VersionTLS11,
		"tlsv1.2": tls.VersionTLS12, "tlsv1.3": tls.VersionTLS13}
	set := map[uint16]bool{}
	for _, w := range strings.Fields(arg) {
		v, ok := names[strings.ToLower(w)]
		if !ok {
			return 0, 0, invalid
		}
		set[v] = true
		if lo == 0 || v < lo {
			lo = v
		}
		hi = max(hi, v)
	}
	if len(set) == 0 {
		return 0, 0, invalid
	}
	for v := lo; v <= hi; v++ {
		if !set[v] {
			return 0, 0, "'tls-protocols' is not supported by this sentinel: only a range without gaps can be set (e.g. \"TLSv1.2 TLSv1.3\")"
		}
	}
	return lo, hi, ""
}
