package sentinelconf

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"path/filepath"
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
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}, ClientCAs: pool, MinVersion: tls.VersionTLS12}
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
	return &tls.Config{
		Certificates:       []tls.Certificate{cert},
		MinVersion:         tls.VersionTLS12,
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
