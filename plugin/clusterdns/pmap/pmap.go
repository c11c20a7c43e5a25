// Package pmap is a persistent (immutable) hash map from string to V, a compressed hash
// array mapped trie (CHAMP). A published Map is never modified, so readers need no locks;
// a Txn derives the next Map by copying only the nodes on the paths it changes, so an
// update costs O(log n) whatever the size of the map.
//
// Entries live inline in the node that first distinguishes them, not in leaf nodes of
// their own: a map of n keys costs about n entries plus n/16 small nodes.
package pmap

import (
	"hash/maphash"
	"math/bits"
	"slices"
)

const (
	bitsPerLevel = 5
	fanout       = 1 << bitsPerLevel
	hashBits     = 64 // at this depth every hash bit is used: keys that remain share a collision node
)

var seed = maphash.MakeSeed()

// hashMask is all ones; tests narrow it to force hash collisions.
var hashMask = ^uint64(0)

func hash(key string) uint64 { return maphash.String(seed, key) & hashMask }

// Map is an immutable map. The zero value is an empty map.
type Map[V any] struct {
	root *node[V]
	len  int
}

type entry[V any] struct {
	key   string
	value V
}

// node holds entries (datamap: the hash slots that end here) and children (nodemap: the
// slots shared by several keys), each in slot order. A collision node (at depth hashBits)
// holds only entries, searched linearly.
type node[V any] struct {
	datamap, nodemap uint32
	entries          []entry[V]
	children         []*node[V]
	owner            *txnToken // the Txn that may still mutate this node in place
}

// txnToken must not be zero-sized: every new(struct{}) may share one address.
type txnToken struct{ _ byte }

func slot(h uint64, shift uint) uint32 { return uint32(1) << ((h >> shift) & (fanout - 1)) }

func index(bitmap, bit uint32) int { return bits.OnesCount32(bitmap & (bit - 1)) }

// Len returns the number of keys.
func (m *Map[V]) Len() int {
	if m == nil {
		return 0
	}
	return m.len
}

// Get returns the value stored under key.
func (m *Map[V]) Get(key string) (v V, ok bool) {
	if m == nil || m.root == nil {
		return v, false
	}
	return m.root.get(key, hash(key))
}

func (n *node[V]) get(key string, h uint64) (v V, ok bool) {
	for shift := uint(0); ; shift += bitsPerLevel {
		if shift >= hashBits {
			for i := range n.entries {
				if n.entries[i].key == key {
					return n.entries[i].value, true
				}
			}
			return v, false
		}
		bit := slot(h, shift)
		if n.datamap&bit != 0 {
			e := &n.entries[index(n.datamap, bit)]
			if e.key == key {
				return e.value, true
			}
			return v, false
		}
		if n.nodemap&bit == 0 {
			return v, false
		}
		n = n.children[index(n.nodemap, bit)]
	}
}

// Range calls fn for every key until fn returns false. The order is unspecified.
func (m *Map[V]) Range(fn func(key string, v V) bool) {
	if m != nil && m.root != nil {
		m.root.each(fn)
	}
}

func (n *node[V]) each(fn func(string, V) bool) bool {
	for i := range n.entries {
		if !fn(n.entries[i].key, n.entries[i].value) {
			return false
		}
	}
	for _, c := range n.children {
		if !c.each(fn) {
			return false
		}
	}
	return true
}

// Txn accumulates changes to a Map. Nodes it copied are mutated in place by later changes
// of the same Txn, so a batch of k changes costs O(k log n), not k full path copies.
// A Txn is not safe for concurrent use; Commit ends it.
type Txn[V any] struct {
	root  *node[V]
	len   int
	token *txnToken
	sets  int // changes so far: a bulk Txn grows arrays as append does, a small one exactly
}

// Txn starts a transaction on m.
func (m *Map[V]) Txn() *Txn[V] {
	t := &Txn[V]{token: new(txnToken)}
	if m != nil {
		t.root, t.len = m.root, m.len
	}
	return t
}

// Commit returns the resulting Map; the Txn must not be used afterwards.
func (t *Txn[V]) Commit() *Map[V] {
	if t.root != nil && t.bulk() {
		t.trim(t.root) // a small Txn copied its nodes at their size, and grew them by one
	}
	m := &Map[V]{root: t.root, len: t.len}
	t.token = nil
	return m
}

// bulkSets is the number of changes after which a Txn is a bulk one (the initial build):
// inserting into a node then grows its arrays as append does, so filling a node costs
// O(size) copies, not O(size²), and Commit trims them to their size. A small Txn (an
// update) grows them by exactly one: the node was just copied anyway.
const bulkSets = 64

func (t *Txn[V]) bulk() bool { return t.sets > bulkSets }

// insert inserts v at i: by append's growth in bulk, else into an exact-size copy when s is
// full.
func insert[T any](s []T, i int, v T, bulk bool) []T {
	if bulk || len(s) < cap(s) {
		return slices.Insert(s, i, v)
	}
	out := make([]T, len(s)+1)
	copy(out, s[:i])
	out[i] = v
	copy(out[i+1:], s[i:])
	return out
}

// exact returns a copy of s with cap(s) == len(s) (append may round it up), nil for none.
func exact[T any](s []T) []T {
	if len(s) == 0 {
		return nil
	}
	out := make([]T, len(s))
	copy(out, s)
	return out
}

// withRoom returns a copy of s with room for one more element, nil for none.
func withRoom[T any](s []T) []T {
	if len(s) == 0 {
		return nil
	}
	out := make([]T, len(s), len(s)+1)
	copy(out, s)
	return out
}

// trim gives the nodes this Txn built or changed exact-size arrays: in bulk, inserting
// grows them as append does, by up to double, and a published node lives as long as its
// keys.
// Only nodes the Txn owns are visited: changing a node made its parents the Txn's too.
func (t *Txn[V]) trim(n *node[V]) {
	if n.owner != t.token {
		return
	}
	if cap(n.entries) > len(n.entries) {
		n.entries = exact(n.entries)
	}
	if cap(n.children) > len(n.children) {
		n.children = exact(n.children)
	}
	for _, c := range n.children {
		t.trim(c)
	}
}

// Len returns the number of keys in the map being built.
func (t *Txn[V]) Len() int { return t.len }

// Get returns the value stored under key in the map being built.
func (t *Txn[V]) Get(key string) (v V, ok bool) {
	if t.root == nil {
		return v, false
	}
	return t.root.get(key, hash(key))
}

func (t *Txn[V]) editable(n *node[V]) *node[V] {
	if n.owner == t.token {
		return n
	}
	c := *n
	c.owner = t.token
	// room for one more: an update that copies a node usually inserts into it
	c.entries = withRoom(n.entries)
	c.children = withRoom(n.children)
	return &c
}

// Set stores v under key.
func (t *Txn[V]) Set(key string, v V) {
	if t.root == nil {
		t.root = &node[V]{owner: t.token}
	}
	t.sets++
	var added bool
	t.root, added = t.set(t.root, 0, entry[V]{key, v}, hash(key))
	if added {
		t.len++
	}
}

func (t *Txn[V]) set(n *node[V], shift uint, e entry[V], h uint64) (*node[V], bool) {
	if shift >= hashBits {
		for i := range n.entries {
			if n.entries[i].key == e.key {
				n = t.editable(n)
				n.entries[i] = e
				return n, false
			}
		}
		n = t.editable(n)
		n.entries = append(n.entries, e)
		return n, true
	}
	bit := slot(h, shift)
	switch {
	case n.datamap&bit != 0:
		i := index(n.datamap, bit)
		old := n.entries[i]
		n = t.editable(n)
		if old.key == e.key {
			n.entries[i] = e
			return n, false
		}
		// the slot is now shared: both entries move into a new child
		n.entries = slices.Delete(n.entries, i, i+1)
		n.datamap &^= bit
		child := t.pair(shift+bitsPerLevel, old, hash(old.key), e, h)
		n.nodemap |= bit
		n.children = insert(n.children, index(n.nodemap, bit), child, t.bulk())
		return n, true
	case n.nodemap&bit != 0:
		i := index(n.nodemap, bit)
		child, added := t.set(n.children[i], shift+bitsPerLevel, e, h)
		if child != n.children[i] {
			n = t.editable(n)
			n.children[i] = child
		}
		return n, added
	default:
		n = t.editable(n)
		n.datamap |= bit
		n.entries = insert(n.entries, index(n.datamap, bit), e, t.bulk())
		return n, true
	}
}

// pair returns a node holding two entries whose hashes agree below shift.
func (t *Txn[V]) pair(shift uint, a entry[V], ha uint64, b entry[V], hb uint64) *node[V] {
	n := &node[V]{owner: t.token}
	if shift >= hashBits {
		n.entries = []entry[V]{a, b}
		return n
	}
	ba, bb := slot(ha, shift), slot(hb, shift)
	if ba == bb {
		n.nodemap = ba
		n.children = []*node[V]{t.pair(shift+bitsPerLevel, a, ha, b, hb)}
		return n
	}
	n.datamap = ba | bb
	if ba < bb {
		n.entries = []entry[V]{a, b}
	} else {
		n.entries = []entry[V]{b, a}
	}
	return n
}

// Delete removes key.
func (t *Txn[V]) Delete(key string) {
	if t.root == nil {
		return
	}
	t.sets++
	root, removed := t.del(t.root, 0, key, hash(key))
	if removed {
		t.root = root
		t.len--
		if len(root.entries) == 0 && len(root.children) == 0 {
			t.root = nil
		}
	}
}

func (t *Txn[V]) del(n *node[V], shift uint, key string, h uint64) (*node[V], bool) {
	if shift >= hashBits {
		for i := range n.entries {
			if n.entries[i].key == key {
				n = t.editable(n)
				n.entries = slices.Delete(n.entries, i, i+1)
				return n, true
			}
		}
		return n, false
	}
	bit := slot(h, shift)
	switch {
	case n.datamap&bit != 0:
		i := index(n.datamap, bit)
		if n.entries[i].key != key {
			return n, false
		}
		n = t.editable(n)
		n.entries = slices.Delete(n.entries, i, i+1)
		n.datamap &^= bit
		return n, true
	case n.nodemap&bit != 0:
		i := index(n.nodemap, bit)
		child, removed := t.del(n.children[i], shift+bitsPerLevel, key, h)
		if !removed {
			return n, false
		}
		n = t.editable(n)
		if len(child.children) == 0 && len(child.entries) <= 1 {
			// a child left with one entry is folded back, so the trie stays as shallow as
			// if the removed key had never been there
			n.children = slices.Delete(n.children, i, i+1)
			n.nodemap &^= bit
			if len(child.entries) == 1 {
				n.datamap |= bit
				n.entries = insert(n.entries, index(n.datamap, bit), child.entries[0], t.bulk())
			}
			return n, true
		}
		n.children[i] = child
		return n, true
	}
	return n, false
}
