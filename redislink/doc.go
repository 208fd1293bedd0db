// Package redislink is the sentinel's RESP client: the command link to a
// Redis instance or a peer sentinel (pipelined, replies matched to their
// callbacks in order, as hiredis does for redis-sentinel), the pub/sub link
// that keeps a hello channel subscribed, the RESP2 reply parser they share,
// and FakeNet, an in-memory network of fake Redis servers for unit tests.
//
// It is a package of its own because a link needs only an address and
// credentials, nothing of the monitor: the sentinel talks to it through
// Dialer and Conn (and the optional AsyncConn, BufferedConn, TxConn and
// LinkState a link may also be), so tests and a simulator can put another
// network behind the same interfaces. It imports nothing of ours but
// eventloop, the poller that reads its connections.
package redislink
