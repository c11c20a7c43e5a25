package pmap

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

func TestMapAgainstBuiltin(t *testing.T) { testAgainstBuiltin(t) }

// With most hash bits masked away, many keys share their hash: paths go down to collision
// nodes and back up as keys are deleted.
func TestMapCollisions(t *testing.T) {
	defer func(m uint64) { hashMask = m }(hashMask)
	hashMask = 0x3ff
	testAgainstBuiltin(t)
}

func testAgainstBuiltin(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	want := map[string]int{}
	var m *Map[int]
	var snapshots []*Map[int]
	var copies []map[string]int
	for round := 0; round < 200; round++ {
		tx := m.Txn()
		for i := 0; i < 50; i++ {
			k := fmt.Sprintf("k%d", r.IntN(2000))
			if r.IntN(3) == 0 {
				tx.Delete(k)
				delete(want, k)
				continue
			}
			v := r.Int()
			tx.Set(k, v)
			want[k] = v
		}
		m = tx.Commit()
		if m.Len() != len(want) {
			t.Fatalf("round %d: Len %d, want %d", round, m.Len(), len(want))
		}
		if round%20 == 0 {
			c := map[string]int{}
			for k, v := range want {
				c[k] = v
			}
			snapshots, copies = append(snapshots, m), append(copies, c)
		}
	}
	// every earlier snapshot is unchanged by later transactions
	for i, s := range snapshots {
		check(t, s, copies[i])
	}
	check(t, m, want)
}

func check(t *testing.T, m *Map[int], want map[string]int) {
	t.Helper()
	for k, v := range want {
		if got, ok := m.Get(k); !ok || got != v {
			t.Fatalf("Get(%q) = %d, %v; want %d", k, got, ok, v)
		}
	}
	n := 0
	m.Range(func(k string, v int) bool {
		n++
		if want[k] != v {
			t.Fatalf("Range gave %q=%d, want %d", k, v, want[k])
		}
		return true
	})
	if n != len(want) || m.Len() != len(want) {
		t.Fatalf("Range saw %d keys, Len %d, want %d", n, m.Len(), len(want))
	}
	if _, ok := m.Get("absent"); ok {
		t.Fatal("absent key found")
	}
}

func TestDeleteToEmpty(t *testing.T) {
	tx := (*Map[int])(nil).Txn()
	for i := 0; i < 1000; i++ {
		tx.Set(fmt.Sprint(i), i)
	}
	m := tx.Commit()
	tx = m.Txn()
	for i := 0; i < 1000; i++ {
		tx.Delete(fmt.Sprint(i))
	}
	e := tx.Commit()
	if e.Len() != 0 || e.root != nil {
		t.Fatalf("not empty: len %d", e.Len())
	}
	if v, ok := m.Get("999"); !ok || v != 999 {
		t.Fatal("old snapshot changed")
	}
}

func BenchmarkGet(b *testing.B) {
	tx := (*Map[int])(nil).Txn()
	keys := make([]string, 50000)
	for i := range keys {
		keys[i] = fmt.Sprintf("svc-%d.ns-%d.svc", i, i%50)
		tx.Set(keys[i], i)
	}
	m := tx.Commit()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m.Get(keys[i%len(keys)])
	}
}

func BenchmarkSetOne(b *testing.B) {
	tx := (*Map[int])(nil).Txn()
	for i := 0; i < 50000; i++ {
		tx.Set(fmt.Sprint(i), i)
	}
	m := tx.Commit()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t := m.Txn()
		t.Set("7", i)
		m = t.Commit()
	}
}

// A bulk Txn leaves no unused room in the nodes it publishes, and a small one at most one
// slot per node it copied.
func TestCommitTrims(t *testing.T) {
	tx := new(Map[int]).Txn()
	for i := range 10000 {
		tx.Set(fmt.Sprint(i), i)
	}
	m := tx.Commit()
	if spare := spareSlots(m.root); spare != 0 {
		t.Errorf("%d spare slots after a bulk Txn, want 0", spare)
	}
	small := m.Txn()
	small.Set("new", 1)
	small.Delete("17")
	m2 := small.Commit()
	if spare := spareSlots(m2.root); spare > 2*(hashBits/bitsPerLevel+1) {
		t.Errorf("%d spare slots after two changes", spare)
	}
	if v, _ := m2.Get("new"); v != 1 || m2.Len() != 10000 {
		t.Errorf("new = %d, len %d", v, m2.Len())
	}
}

func spareSlots[V any](n *node[V]) int {
	if n == nil {
		return 0
	}
	s := cap(n.entries) - len(n.entries) + cap(n.children) - len(n.children)
	for _, c := range n.children {
		s += spareSlots(c)
	}
	return s
}
