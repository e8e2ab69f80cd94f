package pipeline

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/groupimport/groupimport/transform"
)

// input writes a CSV file and maps it by its column names.
func input(t *testing.T, kind transform.Kind, content string, setup func(*transform.KindMapping, *transform.Config)) Input {
	t.Helper()
	p := filepath.Join(t.TempDir(), string(kind)+".csv")
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	cols := strings.Split(strings.SplitN(content, "\n", 2)[0], ",")
	km, err := transform.Infer(kind, nil, cols, nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg := transform.Config{Kind: kind, Mapping: km, Timestamp: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)}
	if setup != nil {
		setup(km, &cfg)
	}
	tr, err := transform.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return Input{Kind: kind, Files: []string{p}, Transformer: tr}
}

// joinTable is a JoinTable in memory that says when it was built.
type joinTable struct {
	traits map[[16]byte][]byte
	built  bool
}

func (j *joinTable) Add(key [16]byte, traits []byte) error {
	if j.built {
		return nil
	}
	j.traits[key] = append([]byte(nil), traits...)
	return nil
}

func (j *joinTable) Build() error { j.built = true; return nil }

// The phases: object upserts, the join table built, relationship upserts,
// relationship deletes (the delete rows among the memberships first), object
// deletes (those among the companies first) — whatever the order of the
// inputs given.
func TestPhases(t *testing.T) {
	join := &joinTable{traits: map[[16]byte][]byte{}}
	joinedBeforeBuild := false
	companies := input(t, transform.Companies, "company_id,name,deleted\nc1,One,false\nc2,Two,true\nc3,Three,false\n", nil)
	members := input(t, transform.Memberships, "user_id,company_id,deleted\nu1,c1,false\nu2,c3,true\nu3,c3,false\n",
		func(km *transform.KindMapping, cfg *transform.Config) {
			km.IncludeObjectTraits = true
			cfg.ObjectTraits = func(dst []byte, key [16]byte) ([]byte, bool) {
				if !join.built {
					joinedBeforeBuild = true
				}
				v, ok := join.traits[key]
				return append(dst, v...), ok
			}
		})
	relDeletes := input(t, transform.RelationshipDeletes, "user_id,company_id\nu9,c9\n", nil)
	objDeletes := input(t, transform.ObjectDeletes, "company_id\nc8\n", nil)
	for _, order := range [][]Input{
		{companies, members, relDeletes, objDeletes},
		{objDeletes, relDeletes, members, companies},
	} {
		join.built, join.traits = false, map[[16]byte][]byte{}
		ms := &memSink{}
		res, err := Run(context.Background(), Config{Inputs: order, Sink: ms, MaxRejects: -1, Join: join, Workers: 3, BatchRows: 1})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, line := range strings.Split(strings.TrimSpace(ms.data.String()), "\n") {
			var p struct {
				Type, Event, GroupID, UserID string
				Traits                       map[string]any
				Properties                   struct{ ObjectID string }
			}
			if err := json.Unmarshal([]byte(line), &p); err != nil {
				t.Fatal(err)
			}
			switch {
			case p.Type == "group" && p.UserID == "":
				got = append(got, "object "+p.GroupID)
			case p.Type == "group":
				got = append(got, "relationship "+p.UserID+"-"+p.GroupID+" "+p.Traits["name"].(string))
			default:
				got = append(got, p.Event+" "+p.UserID+p.Properties.ObjectID)
			}
		}
		want := []string{"object c1", "object c3", "relationship u1-c1 One", "relationship u3-c3 Three",
			"Relationship Deleted u2c3", "Relationship Deleted u9c9", "Object Deleted c2", "Object Deleted c8"}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("payloads:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		if joinedBeforeBuild {
			t.Error("a membership was built before the join table")
		}
		if res.Emitted != 8 || res.Deleted != 4 || res.Read != 8 {
			t.Errorf("read %d, emitted %d, deleted %d", res.Read, res.Emitted, res.Deleted)
		}
	}
}

// The delete rows of upserts that cannot be kept for their phase fail the
// run with a clear error.
func TestKeptDeletesNeedTheirSpill(t *testing.T) {
	companies := input(t, transform.Companies, "company_id,name,deleted\nc1,One,false\nc2,Two,true\n", nil)
	_, err := Run(context.Background(), Config{Inputs: []Input{companies}, Sink: &memSink{}, MaxRejects: -1,
		TempDir: filepath.Join(t.TempDir(), "gone")})
	if err == nil || !strings.Contains(err.Error(), "keeping deletes for the end of the run") {
		t.Fatalf("err = %v", err)
	}
}
