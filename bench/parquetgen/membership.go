package main

import (
	"encoding/csv"
	"io"
	"strconv"
	"time"

	"github.com/parquet-go/parquet-go"
)

// Membership is one row of a memberships file: user_id and anonymous_id
// are optional (one of them is null), joined_at a DATE, last_seen_at a
// TIMESTAMP(MICROS, UTC), seats INT32, is_primary_contact BOOLEAN.
type Membership struct {
	UserID           *string `parquet:"user_id,optional"`
	AnonymousID      *string `parquet:"anonymous_id,optional"`
	CompanyID        string  `parquet:"company_id"`
	Role             string  `parquet:"role,dict"`
	JoinedAt         int32   `parquet:"joined_at,date"`
	IsPrimaryContact bool    `parquet:"is_primary_contact"`
	Seats            int32   `parquet:"seats"`
	Title            string  `parquet:"title,dict"`
	Department       string  `parquet:"department,dict"`
	LastSeenAt       int64   `parquet:"last_seen_at,timestamp(microsecond)"`
	InvitedBy        *string `parquet:"invited_by,optional"`
	Status           string  `parquet:"status,dict"`
}

func writeMemberships(f io.Writer, cr *csv.Reader, col map[string]int, opts []parquet.WriterOption) error {
	w := parquet.NewGenericWriter[Membership](f, opts...)
	buf := make([]Membership, 0, 1024)
	opt := func(s string) *string {
		if s == "" {
			return nil
		}
		return &s
	}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		get := func(name string) string { return rec[col[name]] }
		joined, err := time.Parse("2006-01-02", get("joined_at"))
		if err != nil {
			return err
		}
		seen, err := time.Parse(time.RFC3339, get("last_seen_at"))
		if err != nil {
			return err
		}
		seats, err := strconv.Atoi(get("seats"))
		if err != nil {
			return err
		}
		buf = append(buf, Membership{
			UserID: opt(get("user_id")), AnonymousID: opt(get("anonymous_id")), CompanyID: get("company_id"),
			Role: get("role"), JoinedAt: int32(joined.Unix() / 86400), IsPrimaryContact: get("is_primary_contact") == "true",
			Seats: int32(seats), Title: get("title"), Department: get("department"), LastSeenAt: seen.UnixMicro(),
			InvitedBy: opt(get("invited_by")), Status: get("status"),
		})
		if len(buf) == cap(buf) {
			if _, err := w.Write(buf); err != nil {
				return err
			}
			buf = buf[:0]
		}
	}
	if _, err := w.Write(buf); err != nil {
		return err
	}
	return w.Close()
}
