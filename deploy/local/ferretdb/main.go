// Command kandoo-ferretdb runs FerretDB 1.24 embedded, with its SQLite backend,
// as the MongoDB-protocol server for local development and tests.
//
// A plain `go install` of FerretDB's own command panics at start on a missing
// generated version file; the embeddable package is the supported route.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	_ "net/http/pprof" // profiles on -pprof, for finding where the server's time goes
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"syscall"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:27017", "TCP address to listen on")
	dataDir := flag.String("data", "data", "directory for the SQLite databases")
	logLevel := flag.String("log-level", "warn", "debug, info, warn or error")
	// SQLite's default synchronous=FULL syncs the disk on every commit, and FerretDB 1.24
	// commits each update of a bulk write on its own: about 30 updates per second here.
	// In WAL mode, NORMAL survives a crash of this process; only a power cut may lose the
	// last commits, which a development or test server can afford.
	synchronous := flag.String("synchronous", "normal", "SQLite synchronous pragma: full or normal")
	pprofAddr := flag.String("pprof", "", "serve Go's pprof on this address (e.g. 127.0.0.1:6060); off when empty")
	flag.Parse()

	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		fmt.Fprintln(os.Stderr, "bad -log-level:", err)
		os.Exit(2)
	}
	logger := slog.New(&lazyAttrs{inner: slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level})})

	// FerretDB's allocations are short-lived (one request's documents): collecting less
	// often costs some memory and saves a fifth of its CPU under bulk writes.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}

	abs, err := filepath.Abs(*dataDir)
	if err == nil {
		err = os.MkdirAll(abs, 0o755)
	}
	if err != nil {
		logger.Error("cannot prepare data directory", "dir", *dataDir, "error", err)
		os.Exit(1)
	}

	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: *listen},
		Logger:    logger,
		Handler:   "sqlite",
		SQLiteURL: "file:" + abs + "/?_pragma=synchronous(" + *synchronous + ")",
	})
	if err != nil {
		logger.Error("cannot start FerretDB", "error", err)
		os.Exit(1)
	}

	if *pprofAddr != "" {
		go func() {
			logger.Warn("pprof listening", "addr", *pprofAddr, "error", http.ListenAndServe(*pprofAddr, nil))
		}()
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	logger.Warn("FerretDB listening", "uri", f.MongoDBURI(), "data", abs)
	if err := f.Run(ctx); err != nil {
		logger.Error("FerretDB stopped", "error", err)
		os.Exit(1)
	}
}

// lazyAttrs keeps the attributes of Logger.With until a record is really written.
// slog's own handlers format them at once, and FerretDB 1.24 calls With(args) with every
// SQL statement's arguments (whole documents, Thai text escaped rune by rune) before each
// Debug call, even with debug logging off: a sixth of its CPU time in bulk inserts.
type lazyAttrs struct {
	inner slog.Handler
	attrs []slog.Attr
}

func (l *lazyAttrs) Enabled(ctx context.Context, level slog.Level) bool {
	return l.inner.Enabled(ctx, level)
}

func (l *lazyAttrs) Handle(ctx context.Context, r slog.Record) error {
	return l.materialize().Handle(ctx, r)
}

func (l *lazyAttrs) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &lazyAttrs{inner: l.inner, attrs: append(l.attrs[:len(l.attrs):len(l.attrs)], attrs...)}
}

func (l *lazyAttrs) WithGroup(name string) slog.Handler {
	return &lazyAttrs{inner: l.materialize().WithGroup(name)}
}

func (l *lazyAttrs) materialize() slog.Handler {
	if len(l.attrs) == 0 {
		return l.inner
	}
	return l.inner.WithAttrs(l.attrs)
}
