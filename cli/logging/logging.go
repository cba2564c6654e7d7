// Package logging is the logging of saltgo's command-line front doors:
// Salt's log levels and options, and slog handlers writing Salt's console
// and log file line formats.
package logging

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"

	"github.com/saltgo/saltgo/cli/optparse"
)

// Salt's log levels, as slog levels.
const (
	LevelTrace    = slog.Level(-8)
	LevelGarbage  = slog.Level(-12)
	LevelCritical = slog.Level(12)
	LevelQuiet    = slog.Level(1000)
)

// ParseLevel maps a Salt log level name to a slog level.
func ParseLevel(name string) (slog.Level, error) {
	switch strings.ToLower(name) {
	case "all", "garbage":
		return LevelGarbage, nil
	case "trace":
		return LevelTrace, nil
	case "debug", "profile":
		return slog.LevelDebug, nil
	case "info":
		return slog.LevelInfo, nil
	case "", "warning", "warn":
		return slog.LevelWarn, nil
	case "error":
		return slog.LevelError, nil
	case "critical":
		return LevelCritical, nil
	case "quiet":
		return LevelQuiet, nil
	}
	return 0, fmt.Errorf("invalid log level %q", name)
}

func levelName(l slog.Level) string {
	switch {
	case l >= LevelCritical:
		return "CRITICAL"
	case l >= slog.LevelError:
		return "ERROR"
	case l >= slog.LevelWarn:
		return "WARNING"
	case l >= slog.LevelInfo:
		return "INFO"
	case l >= slog.LevelDebug:
		return "DEBUG"
	case l >= LevelTrace:
		return "TRACE"
	}
	return "GARBAGE"
}

// ConsoleHandler writes log records as Salt's console logger does:
// "[LEVEL   ] message", attributes appended as key=value.
type ConsoleHandler struct {
	mu    *sync.Mutex
	w     io.Writer
	level slog.Leveler
	attrs []slog.Attr
}

// NewConsoleHandler returns a handler writing to w at level and above.
func NewConsoleHandler(w io.Writer, level slog.Leveler) *ConsoleHandler {
	return &ConsoleHandler{mu: &sync.Mutex{}, w: w, level: level}
}

// Enabled implements slog.Handler.
func (h *ConsoleHandler) Enabled(_ context.Context, l slog.Level) bool {
	return l >= h.level.Level()
}

// Handle implements slog.Handler.
func (h *ConsoleHandler) Handle(_ context.Context, r slog.Record) error {
	return h.write(fmt.Sprintf("[%-8s] %s", levelName(r.Level), r.Message), r)
}

// write appends the record's attributes to line and writes it.
func (h *ConsoleHandler) write(line string, r slog.Record) error {
	var b strings.Builder
	b.WriteString(line)
	for _, a := range h.attrs {
		fmt.Fprintf(&b, " %s=%v", a.Key, a.Value)
	}
	r.Attrs(func(a slog.Attr) bool {
		fmt.Fprintf(&b, " %s=%v", a.Key, a.Value)
		return true
	})
	b.WriteString("\n")
	h.mu.Lock()
	defer h.mu.Unlock()
	_, err := io.WriteString(h.w, b.String())
	return err
}

// WithAttrs implements slog.Handler.
func (h *ConsoleHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	c := *h
	c.attrs = append(append([]slog.Attr(nil), h.attrs...), attrs...)
	return &c
}

// WithGroup implements slog.Handler (groups are flattened).
func (h *ConsoleHandler) WithGroup(string) slog.Handler { return h }

// NewFileHandler writes log records to a log file with a timestamp, as
// Salt's log_fmt_logfile does: "2006-01-02 15:04:05,000 [name][LEVEL] msg".
func NewFileHandler(w io.Writer, level slog.Leveler) slog.Handler {
	return &fileHandler{ConsoleHandler{mu: &sync.Mutex{}, w: w, level: level}}
}

type fileHandler struct{ ConsoleHandler }

func (h *fileHandler) Handle(_ context.Context, r slog.Record) error {
	return h.write(fmt.Sprintf("%s [saltgo][%-8s] %s", r.Time.Format("2006-01-02 15:04:05,000"), levelName(r.Level), r.Message), r)
}

func (h *fileHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	c := *h
	c.attrs = append(append([]slog.Attr(nil), h.attrs...), attrs...)
	return &c
}

// Fanout sends every record to several handlers.
func Fanout(hs ...slog.Handler) slog.Handler {
	if len(hs) == 1 {
		return hs[0]
	}
	return fanout(hs)
}

type fanout []slog.Handler

func (f fanout) Enabled(ctx context.Context, l slog.Level) bool {
	for _, h := range f {
		if h.Enabled(ctx, l) {
			return true
		}
	}
	return false
}

func (f fanout) Handle(ctx context.Context, r slog.Record) error {
	var first error
	for _, h := range f {
		if h.Enabled(ctx, r.Level) {
			if err := h.Handle(ctx, r.Clone()); err != nil && first == nil {
				first = err
			}
		}
	}
	return first
}

func (f fanout) WithAttrs(attrs []slog.Attr) slog.Handler {
	out := make(fanout, len(f))
	for i, h := range f {
		out[i] = h.WithAttrs(attrs)
	}
	return out
}

func (f fanout) WithGroup(name string) slog.Handler {
	out := make(fanout, len(f))
	for i, h := range f {
		out[i] = h.WithGroup(name)
	}
	return out
}

// LogOptions are the options of Salt's LogLevelMixIn.
func LogOptions() []*optparse.Option {
	return []*optparse.Option{
		{Short: "l", Long: "log-level", Kind: optparse.String, Dest: "log_level", Meta: "LOG_LEVEL", Help: "Console logging log level. One of 'all', 'garbage', 'trace', 'debug', 'profile', 'info', 'warning', 'error', 'critical', 'quiet'. Default: 'warning'."},
		{Long: "log-file", Kind: optparse.String, Dest: "log_file", Meta: "LOG_FILE", Help: "Log file path."},
		{Long: "log-file-level", Kind: optparse.String, Dest: "log_level_logfile", Meta: "LOG_LEVEL_LOGFILE", Help: "Logfile logging log level."},
	}
}

// ConsoleLogger builds the console logger from -l/--log-level (default
// warning); a bad level is a usage error, returned as optparse prints it.
func ConsoleLogger(p *optparse.Parser, r *optparse.Result, stderr io.Writer) (*slog.Logger, string) {
	level, err := ParseLevel(r.Str("log_level"))
	if err != nil {
		return nil, p.UsageError(fmt.Errorf("option -l: %v", err))
	}
	return slog.New(NewConsoleHandler(stderr, level)), ""
}
