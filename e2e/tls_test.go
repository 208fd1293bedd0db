package e2e

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/qsentinel/qsentinel/e2e/cluster"
)

// testCerts writes a CA and one certificate it signed (for 127.0.0.1,
// server and client use) to dir, the way an operator's PKI would.
type testCerts struct{ ca, cert, key string }

func makeCerts(t *testing.T, dir string) testCerts {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "qsentinel test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "redis"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	c := testCerts{ca: filepath.Join(dir, "ca.crt"), cert: filepath.Join(dir, "redis.crt"), key: filepath.Join(dir, "redis.key")}
	write := func(path, typ string, b []byte) {
		if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: b}), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(c.ca, "CERTIFICATE", caDER)
	write(c.cert, "CERTIFICATE", der)
	write(c.key, "EC PRIVATE KEY", keyDER)
	return c
}

func (c testCerts) redisArgs(tlsPort int) []string {
	return []string{"--tls-port", strconv.Itoa(tlsPort), "--tls-cert-file", c.cert, "--tls-key-file", c.key,
		"--tls-ca-cert-file", c.ca, "--tls-replication", "yes", "--tls-auth-clients", "yes"}
}

func (c testCerts) sentinelLines(tlsPort int) []string {
	return []string{"tls-port " + strconv.Itoa(tlsPort), "tls-cert-file " + c.cert, "tls-key-file " + c.key,
		"tls-ca-cert-file " + c.ca, "tls-replication yes", "tls-auth-clients yes"}
}

// TestTLSMixedFailover: Debian's redis-server speaking only TLS to
// sentinels and replicas (tls-replication yes), two of ours and a real
// redis-sentinel talking TLS to Redis and to each other; they discover
// each other and the replica and fail over together. Our TLS port serves
// redis-cli --tls and refuses a client without a certificate.
func TestTLSMixedFailover(t *testing.T) {
	c := cluster.New(t)
	certs := makeCerts(t, c.NewDir("certs"))
	mTLS, rTLS := cluster.MustFreePort(t), cluster.MustFreePort(t)
	master := c.StartRedis("master", certs.redisArgs(mTLS)...)
	replica := c.StartRedis("replica", append(certs.redisArgs(rTLS), "--replicaof", "127.0.0.1", strconv.Itoa(mTLS))...)
	cluster.WaitReplicaSynced(t, replica) // replication runs over TLS
	mon := []cluster.Monitor{{Name: "mymaster", Host: "127.0.0.1", Port: mTLS, Quorum: 2, DownAfter: time.Second, FailoverTimeout: 6 * time.Second}}
	g := &group{c: c}
	var tlsPorts []int
	for k, impl := range []cluster.Impl{cluster.Ours, cluster.Real, cluster.Ours} {
		p := cluster.MustFreePort(t)
		tlsPorts = append(tlsPorts, p)
		s := c.StartSentinel(impl, "tls-"+strconv.Itoa(k)+"-"+impl.String(), cluster.SentinelConfig{Monitors: mon, Extra: certs.sentinelLines(p)})
		g.ss = append(g.ss, s)
	}
	replicaAddr := "127.0.0.1:" + strconv.Itoa(rTLS)
	for _, s := range g.ss {
		s.WaitSentinels(t, "mymaster", 2, 30*time.Second)
		s.WaitReplica(t, "mymaster", replicaAddr, 30*time.Second)
		peers, err := s.Sentinels("mymaster")
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range peers {
			port, _ := strconv.Atoi(p["port"])
			if !containsInt(tlsPorts, port) {
				t.Errorf("%s knows a peer at port %d, not at its TLS port", s.Name, port)
			}
		}
	}
	for _, s := range g.ss {
		g.subs = append(g.subs, cluster.Subscribe(t, s.Addr(), "+switch-master"))
	}

	// Our TLS port, as an operator reaches it.
	out, err := exec.Command(cluster.LookBinary(t, "redis-cli"), "--tls", "--cacert", certs.ca, "--cert", certs.cert, "--key", certs.key,
		"-p", strconv.Itoa(tlsPorts[0]), "SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster").CombinedOutput()
	if err != nil || !strings.Contains(string(out), strconv.Itoa(mTLS)) {
		t.Errorf("redis-cli --tls on our TLS port: %v\n%s", err, out)
	}
	conn, err := tls.Dial("tcp", "127.0.0.1:"+strconv.Itoa(tlsPorts[0]), &tls.Config{InsecureSkipVerify: true})
	if err == nil {
		// TLS 1.3 reports a missing client certificate on the first read.
		conn.Write([]byte("PING\r\n"))
		conn.SetReadDeadline(time.Now().Add(2 * time.Second))
		buf := make([]byte, 64)
		if n, rerr := conn.Read(buf); rerr == nil {
			t.Errorf("a client without a certificate was served: %q", buf[:n])
		}
		conn.Close()
	}

	master.Kill()
	g.waitSwitched(t, "mymaster", replicaAddr, 30*time.Second)
	time.Sleep(time.Second) // events may trail the replies; a second switch would show too
	for k, n := range g.switches(t, "mymaster") {
		if n != 1 {
			t.Errorf("%s announced %d switches", g.ss[k].Name, n)
		}
	}
	if err := master.Restart(); err != nil {
		t.Fatal(err)
	}
	cluster.WaitFor(t, 30*time.Second, "old master demoted over TLS", func() error {
		info, err := master.Info("replication")
		if err != nil {
			return err
		}
		if info["role"] != "slave" || info["master_port"] != strconv.Itoa(rTLS) {
			return fmt.Errorf("role %s of %s", info["role"], info["master_port"])
		}
		return nil
	})
}

func containsInt(xs []int, x int) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}
