package devserver

import (
	"fmt"
	"io"

	"go.temporal.io/server/common/log"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// newLogger returns the server's logger: JSON lines at level and above to w
// (nil discards). A fatal log panics instead of exiting the process, so that
// the caller of Start gets an error rather than a vanished process.
func newLogger(level string, w io.Writer) (log.Logger, error) {
	var lvl zapcore.Level
	switch level {
	case "debug":
		lvl = zapcore.DebugLevel
	case "info":
		lvl = zapcore.InfoLevel
	case "warn":
		lvl = zapcore.WarnLevel
	case "error":
		lvl = zapcore.ErrorLevel
	default:
		return nil, fmt.Errorf("unknown log level %q: want debug, info, warn or error", level)
	}
	if w == nil {
		w = io.Discard
	}
	core := zapcore.NewCore(
		zapcore.NewJSONEncoder(log.DefaultZapEncoderConfig),
		zapcore.Lock(zapcore.AddSync(w)),
		lvl,
	)
	return log.NewZapLogger(zap.New(core, zap.WithFatalHook(zapcore.WriteThenPanic))), nil
}
