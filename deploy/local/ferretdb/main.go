// Command ferretdb-launcher runs an embedded FerretDB v1 (SQLite backend)
// for local development and tests.
//
// A plain `go install github.com/FerretDB/FerretDB/cmd/ferretdb` panics
// because build/version/version.txt is generated and not part of the module,
// so this launcher uses the embeddable package instead.
//
// Configuration comes from flags, falling back to environment variables:
//
//	-listen-addr  FERRETDB_LISTEN_ADDR (default 127.0.0.1:$FERRETDB_PORT, port default 27017)
//	-sqlite-dir   FERRETDB_SQLITE_DIR  (default ./data)
//	-log-level    FERRETDB_LOG_LEVEL   (debug|info|warn|error, default info)
//	-pprof-addr   FERRETDB_PPROF_ADDR  (e.g. 127.0.0.1:6060: Go's profiler for `go tool pprof`; off by default)
//
// Logs go to stderr; infra.sh redirects them to a log file.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	_ "net/http/pprof" // registers /debug/pprof/ on the default mux, served only when -pprof-addr is set
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

func parseLevel(s string) (slog.Level, error) {
	var l slog.Level
	err := l.UnmarshalText([]byte(strings.ToUpper(s)))
	return l, err
}

func run() error {
	defaultAddr := "127.0.0.1:" + envOr("FERRETDB_PORT", "27017")

	listenAddr := flag.String("listen-addr", envOr("FERRETDB_LISTEN_ADDR", defaultAddr), "TCP listen address")
	sqliteDir := flag.String("sqlite-dir", envOr("FERRETDB_SQLITE_DIR", "data"), "directory for SQLite databases")
	logLevel := flag.String("log-level", envOr("FERRETDB_LOG_LEVEL", "info"), "log level: debug, info, warn, error")
	// WAL with synchronous=NORMAL survives a killed process (the tests kill it); only an OS crash can lose
	// the last commits. FULL (SQLite's default) fsyncs every commit and made each write cost ~10 ms here.
	synchronous := flag.String("sqlite-synchronous", envOr("FERRETDB_SQLITE_SYNCHRONOUS", "normal"), "SQLite synchronous pragma")
	pprofAddr := flag.String("pprof-addr", envOr("FERRETDB_PPROF_ADDR", ""), "listen address for Go's pprof (off when empty)")
	flag.Parse()

	level, err := parseLevel(*logLevel)
	if err != nil {
		return fmt.Errorf("invalid log level %q: %w", *logLevel, err)
	}

	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	slog.SetDefault(logger)

	dir, err := filepath.Abs(*sqliteDir)
	if err != nil {
		return fmt.Errorf("resolving sqlite dir: %w", err)
	}
	if err = os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("creating sqlite dir: %w", err)
	}

	// FerretDB expects a file: URI of a directory, with a trailing slash.
	sqliteURL := "file:" + filepath.ToSlash(dir) + "/?_pragma=synchronous(" + url.QueryEscape(*synchronous) + ")"

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	logger.Info("ferretdb-launcher starting", "listen", *listenAddr, "sqlite", sqliteURL, "pid", os.Getpid())

	if *pprofAddr != "" {
		go func() {
			logger.Info("pprof listening", "addr", *pprofAddr)
			//nolint:gosec // a local profiling endpoint, off unless asked for
			if err := http.ListenAndServe(*pprofAddr, nil); err != nil {
				logger.Error("pprof stopped", "error", err)
			}
		}()
	}

	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: *listenAddr},
		Logger:    logger,
		Handler:   "sqlite",
		SQLiteURL: sqliteURL,
	})
	if err != nil {
		return err
	}

	if err = f.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}

	logger.Info("ferretdb-launcher stopped")

	return nil
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "ferretdb-launcher:", err)
		os.Exit(1)
	}
}
