package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
)

// compare checks that two NDJSON files hold the same group calls line by
// line, apart from what the two tools are known to write differently:
// messageId (XXH3-128 of the payload against DuckDB's hash() of the
// columns) and null values (DuckDB writes an absent userId, anonymousId or
// state as null; groupimport leaves the key out). Key order is not
// compared. It returns the number of lines compared.
func compare(ours, theirs string) (int, error) {
	a, err := os.Open(ours)
	if err != nil {
		return 0, err
	}
	defer a.Close()
	b, err := os.Open(theirs)
	if err != nil {
		return 0, err
	}
	defer b.Close()
	sa, sb := bufio.NewScanner(a), bufio.NewScanner(b)
	sa.Buffer(nil, 1<<24)
	sb.Buffer(nil, 1<<24)
	n := 0
	for {
		okA, okB := sa.Scan(), sb.Scan()
		if !okA || !okB {
			if okA != okB {
				return n, fmt.Errorf("%s and %s differ in length after %d lines", ours, theirs, n)
			}
			break
		}
		n++
		x, err := normalise(sa.Bytes())
		if err != nil {
			return n, fmt.Errorf("%s line %d: %w", ours, n, err)
		}
		y, err := normalise(sb.Bytes())
		if err != nil {
			return n, fmt.Errorf("%s line %d: %w", theirs, n, err)
		}
		if x != y {
			return n, fmt.Errorf("line %d differs:\n  %s\n  %s", n, x, y)
		}
	}
	if err := sa.Err(); err != nil {
		return n, err
	}
	return n, sb.Err()
}

func normalise(line []byte) (string, error) {
	var v map[string]any
	if err := json.Unmarshal(line, &v); err != nil {
		return "", err
	}
	delete(v, "messageId")
	dropNulls(v)
	out, err := json.Marshal(v) // sorts the keys
	return string(out), err
}

func dropNulls(m map[string]any) {
	for k, v := range m {
		switch x := v.(type) {
		case nil:
			delete(m, k)
		case map[string]any:
			dropNulls(x)
		}
	}
}
