package sentinel

// ReplyError is an error whose text is sent to the client verbatim as a RESP
// error (without the leading '-'), e.g. "ERR No such master with that name".
type ReplyError struct{ Msg string }

func (e *ReplyError) Error() string { return e.Msg }

// Errors with redis-sentinel's exact texts.
var (
	ErrNoSuchMaster     = &ReplyError{"ERR No such master with that name"}
	ErrDuplicateMaster  = &ReplyError{"ERR Duplicate master name."}
	ErrInvalidAddress   = &ReplyError{"ERR Invalid IP address or hostname specified"}
	ErrInvalidPortRange = &ReplyError{"ERR Invalid port number."}
	ErrInProgress       = &ReplyError{"INPROG Failover already in progress"}
	ErrNoGoodSlave      = &ReplyError{"NOGOODSLAVE No suitable replica to promote"}
	ErrScriptsDenied    = &ReplyError{"ERR Reconfiguration of scripts path is denied for security reasons. Check the deny-scripts-reconfig configuration directive in your Sentinel configuration"}
)
