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
	"os"
	"os/signal"
	"path/filepath"
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
	flag.Parse()

	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		fmt.Fprintln(os.Stderr, "bad -log-level:", err)
		os.Exit(2)
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))

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

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	logger.Warn("FerretDB listening", "uri", f.MongoDBURI(), "data", abs)
	if err := f.Run(ctx); err != nil {
		logger.Error("FerretDB stopped", "error", err)
		os.Exit(1)
	}
}
