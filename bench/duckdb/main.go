// Command duckdb turns the same exports as groupimport into NDJSON group
// calls with DuckDB (through duckdb-go), for a side-by-side figure:
//
//	cd bench/duckdb && go build -o /dev/shm/duckbench .
//	/dev/shm/duckbench -kind companies -in c1m.csv -out payloads.ndjson
//	/dev/shm/duckbench -kind memberships -in m3m.parquet -out payloads.ndjson
//
// One statement does the work: COPY (SELECT struct_pack(…) …) TO … (FORMAT
// JSON). The SQL is in sql.go; -sql prints it instead of running it, and
// -query runs any statement and prints its rows (for a look at a file);
// -compare OURS THEIRS checks that two outputs hold the same calls.
// bench/duckdb.sh runs this and groupimport on the same files, interleaved.
//
// This is a module of its own so that the product's go build, go vet and go
// test never compile DuckDB (a large cgo library).
package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	_ "github.com/duckdb/duckdb-go/v2"
)

func main() {
	kind := flag.String("kind", "companies", "companies or memberships")
	in := flag.String("in", "", "input file: .csv or .parquet")
	out := flag.String("out", "", "output NDJSON file")
	threads := flag.Int("threads", 0, "DuckDB threads (0: DuckDB's default, the number of CPUs)")
	memLimit := flag.String("memory-limit", "", "DuckDB memory_limit, e.g. 1GB (empty: DuckDB's default, 80% of RAM)")
	runAt := flag.String("timestamp", "", "timestamp of rows without one of their own (default: now, like groupimport)")
	printSQL := flag.Bool("sql", false, "print the COPY statement and exit")
	query := flag.String("query", "", "run this statement and print its rows (tab-separated), then exit")
	cmp := flag.Bool("compare", false, "compare two NDJSON files given as arguments (groupimport's, DuckDB's) and exit")
	flag.Parse()
	if *cmp {
		n, err := compare(flag.Arg(0), flag.Arg(1))
		if err != nil {
			fmt.Fprintln(os.Stderr, "duckdb bench: compare:", err)
			os.Exit(1)
		}
		fmt.Printf("%d payloads alike (messageId and nulls aside)\n", n)
		return
	}
	if err := run(*kind, *in, *out, *threads, *memLimit, *runAt, *printSQL, *query); err != nil {
		fmt.Fprintln(os.Stderr, "duckdb bench:", err)
		os.Exit(1)
	}
}

func run(kind, in, out string, threads int, memLimit, runAt string, printSQL bool, query string) error {
	ctx := context.Background()
	if query != "" {
		return printQuery(ctx, query)
	}
	if in == "" || (out == "" && !printSQL) {
		return errors.New("-in and -out are required")
	}
	if runAt == "" {
		runAt = time.Now().UTC().Format("2006-01-02T15:04:05.000Z")
	}
	stmt, err := copySQL(kind, in, out, runAt)
	if err != nil {
		return err
	}
	if printSQL {
		fmt.Println(stmt)
		return nil
	}
	db, err := sql.Open("duckdb", "")
	if err != nil {
		return fmt.Errorf("open DuckDB: %w", err)
	}
	defer db.Close()
	if err := configure(ctx, db, threads, memLimit); err != nil {
		return err
	}
	start := time.Now()
	res, err := db.ExecContext(ctx, stmt)
	if err != nil {
		return fmt.Errorf("COPY %s to %s: %w", in, out, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("rows written: %w", err)
	}
	el := time.Since(start)
	fmt.Fprintf(os.Stderr, "duckdb: %d rows in %.2fs (%.0f rows/s)\n", n, el.Seconds(), float64(n)/el.Seconds())
	return nil
}

// configure sets the engine's settings; a database/sql pool may open more
// connections, so it keeps one, where the settings hold.
func configure(ctx context.Context, db *sql.DB, threads int, memLimit string) error {
	db.SetMaxOpenConns(1)
	set := []string{"SET preserve_insertion_order = true", "SET TimeZone = 'UTC'"}
	if threads > 0 {
		set = append(set, fmt.Sprintf("SET threads = %d", threads))
	}
	if memLimit != "" {
		set = append(set, "SET memory_limit = "+quote(memLimit))
	}
	for _, s := range set {
		if _, err := db.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("%s: %w", s, err)
		}
	}
	return nil
}

func printQuery(ctx context.Context, q string) error {
	db, err := sql.Open("duckdb", "")
	if err != nil {
		return fmt.Errorf("open DuckDB: %w", err)
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, q)
	if err != nil {
		return err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return err
	}
	fmt.Println(strings.Join(cols, "\t"))
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		s := make([]string, len(vals))
		for i, v := range vals {
			s[i] = fmt.Sprint(v)
		}
		fmt.Println(strings.Join(s, "\t"))
	}
	return rows.Err()
}

// quote makes s a SQL string literal.
func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
