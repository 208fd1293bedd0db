package respserver

import (
	"crypto/rand"
	"encoding/hex"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/qsentinel/qsentinel/acl"
	"github.com/qsentinel/qsentinel/atomicfile"
)

// checkACL runs the permission check redis runs after authentication and
// before the command (processCommand). It writes the NOPERM reply and
// records the denial; ok is false when the command must not run.
func (s *Server) checkACL(c *client, cmd *acl.Command, args [][]byte) (ok bool) {
	// c.user is written only by this client's own goroutine (AUTH, HELLO),
	// which is the one running this.
	u := s.acl.User(c.user)
	res, pos := acl.DeniedCommand, 0
	if u != nil {
		res, pos = u.Check(cmd, args)
	}
	if res == acl.OK {
		return true
	}
	object := cmd.Name()
	if res == acl.DeniedChannel || res == acl.DeniedKey {
		object = string(args[pos])
	}
	s.logDenial(c, res, object, c.user)
	s.reject(c, acl.Denial(res, cmd))
	return false
}

func (s *Server) logDenial(c *client, res acl.Result, object, user string) {
	s.acl.Log.Add(acl.LogEntry{
		Reason:     acl.ReasonOf(res),
		Context:    acl.ContextToplevel,
		Object:     object,
		Username:   user,
		Time:       time.Now(),
		ClientInfo: strings.TrimSuffix(s.describeClient(c), "\n"),
	})
}

// logAuthFailure records a failed AUTH or HELLO ... AUTH: the object is
// the command as the client spelled it, the user the one it tried.
func (s *Server) logAuthFailure(c *client, cmdName []byte, user string) {
	s.logDenial(c, acl.DeniedAuth, string(cmdName), user)
}

func aclSubcommands() map[string]subcommand {
	return map[string]subcommand{
		"whoami":  {arity: 2, run: aclWhoami},
		"users":   {arity: 2, run: aclUsers},
		"list":    {arity: 2, run: aclList},
		"genpass": {arity: -2, run: aclGenpass},
		"help": {arity: 2, run: func(s *Server, c *client, args [][]byte) bool {
			c.w.statusLines(splitLines(helpACL))
			return false
		}},
		"load":    {arity: 2, run: aclLoad},
		"save":    {arity: 2, run: aclSave},
		"setuser": {arity: -3, run: aclSetuser},
		"deluser": {arity: -3, run: aclDeluser},
		"getuser": {arity: 3, run: aclGetuser},
		"log":     {arity: -2, run: aclLog},
		"cat":     {arity: -2, run: aclCat},
		"dryrun":  {arity: -4, run: aclDryrun},
	}
}

func aclWhoami(s *Server, c *client, args [][]byte) bool {
	c.w.bulk(c.user)
	return false
}

func aclUsers(s *Server, c *client, args [][]byte) bool {
	names := s.acl.Names()
	c.w.array(len(names))
	for _, n := range names {
		c.w.bulk(n)
	}
	return false
}

func aclList(s *Server, c *client, args [][]byte) bool {
	lines := s.acl.List()
	c.w.array(len(lines))
	for _, l := range lines {
		c.w.bulk(l)
	}
	return false
}

func aclGenpass(s *Server, c *client, args [][]byte) bool {
	if len(args) > 3 {
		return s.reject(c, syntaxErrorFor(args))
	}
	bits := int64(256)
	if len(args) == 3 {
		b, ok := string2ll(args[2])
		if !ok {
			return s.reject(c, "ERR value is not an integer or out of range")
		}
		bits = b
	}
	if bits <= 0 || bits > 4096 {
		return s.reject(c, "ERR ACL GENPASS argument must be the number of bits for the output password, a positive number up to 4096")
	}
	buf := make([]byte, (bits+7)/8)
	if _, err := rand.Read(buf); err != nil {
		return s.reject(c, "ERR "+err.Error())
	}
	c.w.bulk(hex.EncodeToString(buf)[:(bits+3)/4])
	return false
}

const noACLFile = "ERR This Redis instance is not configured to use an ACL file. You may want to specify users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis configuration file set) in order to store users in the Redis configuration."

// aclLoad replaces the users with the aclfile's. Like redis, every client
// logged in as a user other than default is disconnected, the one that
// ran ACL LOAD after its reply.
func aclLoad(s *Server, c *client, args [][]byte) bool {
	if s.cfg.ACLFile == "" {
		return s.reject(c, noACLFile)
	}
	dropped, err := reloadACLFile(s.acl, s.cfg.ACLFile)
	if err != nil {
		return s.reject(c, "ERR "+err.Error())
	}
	c.w.ok()
	return s.disconnectUsers(c, dropped)
}

// aclSave writes the users to the aclfile, atomically.
func aclSave(s *Server, c *client, args [][]byte) bool {
	if s.cfg.ACLFile == "" {
		return s.reject(c, noACLFile)
	}
	if err := atomicfile.Write(s.cfg.ACLFile, s.acl.Save(), 0o644); err != nil {
		s.logger.Warn("Renaming ACL file for ACL SAVE: " + err.Error())
		return s.reject(c, "ERR There was an error trying to save the ACLs. Please check the server logs for more information")
	}
	c.w.ok()
	return false
}

func aclSetuser(s *Server, c *client, args [][]byte) bool {
	if s.cfg.ACLFrozen != "" {
		return s.reject(c, "ERR "+s.cfg.ACLFrozen)
	}
	name := string(args[2])
	rules := make([]string, 0, len(args)-3)
	for _, a := range args[3:] {
		rules = append(rules, string(a))
	}
	before, after, err := s.acl.SetUser(name, rules)
	if err != nil {
		return s.reject(c, "ERR "+err.Error())
	}
	c.w.ok()
	if before == nil {
		return false
	}
	// ACLKillPubsubClientsIfNeeded: subscribers of this user whose
	// channels are no longer allowed are disconnected.
	self := false
	for _, cl := range s.clientList() {
		cl.mu.Lock()
		match := cl.user == name && len(cl.channels)+len(cl.patterns) > 0 &&
			!after.ChannelsAllowed(cl.channels, cl.patterns)
		cl.mu.Unlock()
		if !match {
			continue
		}
		if cl == c {
			self = true
			continue
		}
		cl.close()
	}
	return self
}

func aclDeluser(s *Server, c *client, args [][]byte) bool {
	if s.cfg.ACLFrozen != "" {
		return s.reject(c, "ERR "+s.cfg.ACLFrozen)
	}
	names := make([]string, 0, len(args)-2)
	for _, a := range args[2:] {
		names = append(names, string(a))
	}
	gone, err := s.acl.DelUser(names)
	if err != nil {
		return s.reject(c, "ERR "+err.Error())
	}
	c.w.integer(int64(len(gone)))
	return s.disconnectUsers(c, gone)
}

// disconnectUsers is ACLFreeUserAndKillClients for each user in names:
// their clients are disconnected; c, the client running the command,
// after its reply (the returned value).
func (s *Server) disconnectUsers(c *client, names []string) (self bool) {
	for _, cl := range s.clientList() {
		cl.mu.Lock()
		u := cl.user
		cl.mu.Unlock()
		if !slices.Contains(names, u) {
			continue
		}
		if cl == c {
			self = true
		} else {
			cl.close()
		}
	}
	return self
}

func aclGetuser(s *Server, c *client, args [][]byte) bool {
	info, ok := s.acl.Info(string(args[2]))
	if !ok {
		c.w.nullBulk()
		return false
	}
	c.w.mapLen(6)
	c.w.bulk("flags")
	c.w.setLen(len(info.Flags))
	for _, f := range info.Flags {
		c.w.bulk(f)
	}
	c.w.bulk("passwords")
	c.w.array(len(info.Passwords))
	for _, p := range info.Passwords {
		c.w.bulk(p)
	}
	writeSelector(c, info.Root)
	c.w.bulk("selectors")
	c.w.array(len(info.Selectors))
	for _, sel := range info.Selectors {
		c.w.mapLen(3)
		writeSelector(c, sel)
	}
	return false
}

func writeSelector(c *client, sel acl.SelectorInfo) {
	c.w.bulk("commands")
	c.w.bulk(sel.Commands)
	c.w.bulk("keys")
	c.w.bulk(sel.Keys)
	c.w.bulk("channels")
	c.w.bulk(sel.Channels)
}

func aclLog(s *Server, c *client, args [][]byte) bool {
	if len(args) > 3 {
		return s.reject(c, syntaxErrorFor(args))
	}
	count := int64(10)
	if len(args) == 3 {
		if strings.EqualFold(string(args[2]), "reset") {
			s.acl.Log.Reset()
			c.w.ok()
			return false
		}
		n, ok := string2ll(args[2])
		if !ok {
			return s.reject(c, "ERR value is not an integer or out of range")
		}
		count = max(n, 0)
	}
	entries := s.acl.Log.Entries(int(min(count, 1<<30)))
	now := time.Now()
	c.w.array(len(entries))
	for _, e := range entries {
		c.w.mapLen(7)
		c.w.bulk("count")
		c.w.integer(e.Count)
		c.w.bulk("reason")
		c.w.bulk(e.Reason)
		c.w.bulk("context")
		c.w.bulk(e.Context)
		c.w.bulk("object")
		c.w.bulk(e.Object)
		c.w.bulk("username")
		c.w.bulk(e.Username)
		c.w.bulk("age-seconds")
		c.w.double(float64(now.Sub(e.Time).Milliseconds()) / 1000)
		c.w.bulk("client-info")
		c.w.bulk(e.ClientInfo)
	}
	return false
}

func aclCat(s *Server, c *client, args [][]byte) bool {
	switch len(args) {
	case 2:
		c.w.array(len(acl.Categories))
		for _, cat := range acl.Categories {
			c.w.bulk(cat)
		}
	case 3:
		names, ok := s.acl.Catalog().InCategory(string(args[2]))
		if !ok {
			return s.reject(c, "ERR Unknown category '"+truncate(cString(sanitize(string(args[2]))), 128)+"'")
		}
		c.w.array(len(names))
		for _, n := range names {
			c.w.bulk(n)
		}
	default:
		return s.reject(c, syntaxErrorFor(args))
	}
	return false
}

// aclDryrun checks a command for a user without running it; the command
// is looked up in the table the sentinel serves, as redis does.
func aclDryrun(s *Server, c *client, args [][]byte) bool {
	u := s.acl.User(string(args[2]))
	if u == nil {
		return s.reject(c, "ERR User '"+cString(sanitize(string(args[2])))+"' not found")
	}
	argv := args[3:]
	cmd := s.cmdTable[strings.ToLower(string(argv[0]))]
	var ac *acl.Command
	arity := 0
	if cmd != nil {
		ac, arity = cmd.acl, cmd.arity
		if len(argv) > 1 && cmd.subs != nil {
			lo := strings.ToLower(string(argv[1]))
			ac, arity = cmd.subACL[lo], cmd.subs[lo].arity
		}
	}
	if ac == nil {
		return s.reject(c, "ERR Command '"+cString(sanitize(string(argv[0])))+"' not found")
	}
	if !arityOK(arity, len(argv)) {
		return s.reject(c, "ERR wrong number of arguments for '"+ac.Name()+"' command")
	}
	res, pos := u.Check(ac, argv)
	if res != acl.OK {
		c.w.bulk(acl.DryRunDenial(res, ac, argv, pos))
		return false
	}
	c.w.ok()
	return false
}

// syntaxErrorFor is addReplySubcommandSyntaxError's text.
func syntaxErrorFor(args [][]byte) string {
	return "ERR unknown subcommand or wrong number of arguments for '" + truncate(sanitize(string(args[1])), 128) +
		"'. Try " + strings.ToUpper(string(args[0])) + " HELP."
}

// cString is s as redis's "%s" prints it: up to the first NUL byte.
func cString(s string) string {
	if i := strings.IndexByte(s, 0); i >= 0 {
		return s[:i]
	}
	return s
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// double is addReplyDouble: a bulk string in RESP2, a double in RESP3,
// both printed with %.17g.
func (w *writer) double(f float64) {
	txt := strconv.FormatFloat(f, 'g', 17, 64)
	if w.resp3() {
		w.w.WriteRaw([]byte("," + txt + "\r\n"))
		return
	}
	w.bulk(txt)
}

// defaultOpen reports whether new connections start logged in as the
// default user (it is on and has nopass).
func (s *Server) defaultOpen() bool {
	u := s.acl.User("default")
	return u != nil && u.Enabled() && u.Nopass()
}
