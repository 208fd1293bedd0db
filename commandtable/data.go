package commandtable

import _ "embed"

// The COMMAND and COMMAND DOCS replies of redis-sentinel 7.0.15, captured
// in RESP3 so that maps and sets keep their type.
var (
	//go:embed data/command.resp
	commandData []byte
	//go:embed data/docs.resp
	docsData []byte
)
