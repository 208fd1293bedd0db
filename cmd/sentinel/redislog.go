package main

import (
	"context"
	"fmt"
	"log/slog"
)

// redisLog sends go-redis's internal messages ("connection pool: failed to
// dial ...") to our logger at debug level: a sentinel watches instances
// that are down by design, and the monitor reports that itself (+sdown).
type redisLog struct{ logger *slog.Logger }

func (l redisLog) Printf(ctx context.Context, format string, v ...any) {
	l.logger.Debug("go-redis: " + fmt.Sprintf(format, v...))
}
