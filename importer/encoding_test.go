package importer

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// TestCSVEncodings reads files through Open: transcoding from a named
// encoding, UTF-16 recognised by its byte-order mark.
func TestCSVEncodings(t *testing.T) {
	utf16le := func(s string) []byte {
		out := []byte{0xff, 0xfe}
		for _, r := range s {
			if r > 0xffff {
				r -= 0x10000
				hi, lo := 0xd800+(r>>10), 0xdc00+(r&0x3ff)
				out = append(out, byte(hi), byte(hi>>8), byte(lo), byte(lo>>8))
				continue
			}
			out = append(out, byte(r), byte(r>>8))
		}
		return out
	}
	utf16be := func(s string) []byte {
		le := utf16le(s)
		for i := 0; i+1 < len(le); i += 2 {
			le[i], le[i+1] = le[i+1], le[i]
		}
		return le
	}
	cases := []struct {
		name, file string
		data       []byte
		enc        string
		cols       []string
		rows       []wantRow
	}{
		{"latin1", "l.csv", []byte("name,city\nCaf\xe9,M\xfcnchen\n"), "latin1",
			[]string{"name", "city"}, []wantRow{ok(2, "Café", "München")}},
		{"windows-1252", "w.csv", []byte("name;price\n\x93Quote\x94;\x80 5\n"), "windows-1252",
			[]string{"name", "price"}, []wantRow{ok(2, "\u201cQuote\u201d", "€ 5")}},
		{"iso-8859-15", "i.csv", []byte("a\n\xa4\n"), "ISO-8859-15",
			[]string{"a"}, []wantRow{ok(2, "€")}},
		{"latin1 header", "h.csv", []byte("r\xe9gion,n\n\xeele,1\n"), "latin1",
			[]string{"région", "n"}, []wantRow{ok(2, "île", "1")}},
		{"UTF-16LE with BOM", "u.csv", utf16le("id,name\r\n1,\"Zoë\r\n😀\"\r\n"), "",
			[]string{"id", "name"}, []wantRow{ok(2, "1", "Zoë\r\n😀")}},
		{"UTF-16BE with BOM", "b.csv", utf16be("id\tname\n1\tÅsa\n"), "",
			[]string{"id", "name"}, []wantRow{ok(2, "1", "Åsa")}},
		{"UTF-16 BOM wins over a named encoding", "x.csv", utf16le("a,b\n1,ü\n"), "latin1",
			[]string{"a", "b"}, []wantRow{ok(2, "1", "ü")}},
		{"utf-8 named", "n.csv", []byte("a,b\n1,ü\n"), "UTF-8",
			[]string{"a", "b"}, []wantRow{ok(2, "1", "ü")}},
		{"latin1 not named: rejected", "r.csv", []byte("a,b\n1,\xfc\n2,3\n"), "",
			[]string{"a", "b"}, []wantRow{rej(2, 3, "b", "invalid UTF-8 (byte 0xfc)"), ok(3, "2", "3")}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := writeFile(t, tc.file, tc.data)
			cols, rows, err := readFile(p, Options{Encoding: tc.enc}, 100)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(cols, tc.cols) {
				t.Errorf("columns %q, want %q", cols, tc.cols)
			}
			checkRows(t, rows, tc.rows)
		})
	}
	t.Run("unknown encoding", func(t *testing.T) {
		p := writeFile(t, "a.csv", []byte("a\n1\n"))
		_, _, err := readFile(p, Options{Encoding: "klingon"}, 100)
		var fe *FileError
		if !errors.As(err, &fe) || fe.File != p || !strings.Contains(err.Error(), "klingon") {
			t.Fatalf("error %v", err)
		}
	})
}
