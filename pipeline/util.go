package pipeline

import (
	"os"
	"strings"

	"github.com/groupimport/groupimport/internal/jsonx"
	"github.com/groupimport/groupimport/record"
)

func fileSize(path string) int64 {
	st, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return st.Size()
}

// rowJSON renders a row without a text form (Parquet) as a JSON object for
// the rejects file.
func rowJSON(row *record.Row) []byte {
	out := []byte{'{'}
	for i, v := range row.Values {
		if i > 0 {
			out = append(out, ',')
		}
		name := ""
		if row.Schema != nil && i < len(row.Schema.Names) {
			name = row.Schema.Names[i]
		}
		out = jsonx.AppendStringS(out, name)
		out = append(out, ':')
		switch v.Kind {
		case record.Null:
			out = append(out, "null"...)
		case record.String, record.Time:
			out = jsonx.AppendString(out, v.Bytes)
		default:
			out = append(out, v.Bytes...)
		}
	}
	return append(out, '}')
}

// ReasonClass groups rejects for counting: the column and the reason with
// quoted values and numbers elided, so `"abc" is not an integer` and
// `"N/A" is not an integer` count as one reason.
func ReasonClass(column, reason string) string {
	var b strings.Builder
	if column != "" {
		b.WriteString(column)
		b.WriteString(": ")
	}
	inQuote, inDigits := false, false
	for i := 0; i < len(reason); i++ {
		c := reason[i]
		switch {
		case inQuote:
			if c == '\\' {
				i++
			} else if c == '"' {
				inQuote = false
				b.WriteString(`…"`)
			}
		case c == '"':
			inQuote = true
			b.WriteByte('"')
		case c >= '0' && c <= '9':
			if !inDigits {
				b.WriteByte('N')
			}
			inDigits = true
			continue
		default:
			b.WriteByte(c)
		}
		inDigits = false
	}
	return b.String()
}
