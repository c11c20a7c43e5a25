// Package pmap is a persistent (immutable) hash map from string to V, a hash array mapped
// trie. A published Map is never modified, so readers need no locks; a Txn derives the next
// Map by copying only the nodes on the paths it changes, so an update costs O(log n)
// whatever the size of the map.
package pmap

import (
	"hash/maphash"
	"math/bits"
)

const (
	bitsPerLevel = 5
	fanout       = 1 << bitsPerLevel
	maxDepth     = 64 / bitsPerLevel // below this, keys with equal hashes share a collision leaf
)

var seed = maphash.MakeSeed()

// Map is an immutable map. The zero value is an empty map.
type Map[V any] struct {
	root *node[V]
	len  int
}

type entry[V any] struct {
	key   string
	hash  uint64
	value V
}

// node is a branch (children set) or a leaf (entries set, several only on a full hash collision).
type node[V any] struct {
	bitmap   uint32
	children []*node[V]
	entries  []entry[V]
	owner    *txnToken // the Txn that may still mutate this node in place
}

// txnToken must not be zero-sized: every new(struct{}) may share one address.
type txnToken struct{ _ byte }

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
	h := maphash.String(seed, key)
	n := m.root
	for shift := uint(0); ; shift += bitsPerLevel {
		if n.children == nil {
			for i := range n.entries {
				if n.entries[i].hash == h && n.entries[i].key == key {
					return n.entries[i].value, true
				}
			}
			return v, false
		}
		bit := uint32(1) << ((h >> shift) & (fanout - 1))
		if n.bitmap&bit == 0 {
			return v, false
		}
		n = n.children[bits.OnesCount32(n.bitmap&(bit-1))]
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
	m := &Map[V]{root: t.root, len: t.len}
	t.token = nil
	return m
}

// Len returns the number of keys in the map being built.
func (t *Txn[V]) Len() int { return t.len }

func (t *Txn[V]) editable(n *node[V]) *node[V] {
	if n.owner == t.token {
		return n
	}
	c := &node[V]{bitmap: n.bitmap, owner: t.token}
	if n.children != nil {
		c.children = append(make([]*node[V], 0, len(n.children)+1), n.children...)
	}
	if n.entries != nil {
		c.entries = append(make([]entry[V], 0, len(n.entries)), n.entries...)
	}
	return c
}

// Set stores v under key.
func (t *Txn[V]) Set(key string, v V) {
	h := maphash.String(seed, key)
	if t.root == nil {
		t.root = &node[V]{entries: []entry[V]{{key, h, v}}, owner: t.token}
		t.len++
		return
	}
	var added bool
	t.root, added = t.set(t.root, 0, entry[V]{key, h, v})
	if added {
		t.len++
	}
}

func (t *Txn[V]) set(n *node[V], shift uint, e entry[V]) (*node[V], bool) {
	if n.children == nil { // leaf
		for i := range n.entries {
			if n.entries[i].hash == e.hash && n.entries[i].key == e.key {
				n = t.editable(n)
				n.entries[i] = e
				return n, false
			}
		}
		if shift >= maxDepth*bitsPerLevel || n.entries[0].hash == e.hash {
			n = t.editable(n)
			n.entries = append(n.entries, e)
			return n, true
		}
		// split the leaf into a branch holding the old leaf, then insert into that branch
		b := &node[V]{owner: t.token}
		idx := (n.entries[0].hash >> shift) & (fanout - 1)
		b.bitmap = 1 << idx
		b.children = []*node[V]{n}
		// entries of one leaf share their hash here, so they move down together
		return t.set(b, shift, e)
	}
	bit := uint32(1) << ((e.hash >> shift) & (fanout - 1))
	pos := bits.OnesCount32(n.bitmap & (bit - 1))
	n = t.editable(n)
	if n.bitmap&bit == 0 {
		n.bitmap |= bit
		n.children = append(n.children, nil)
		copy(n.children[pos+1:], n.children[pos:])
		n.children[pos] = &node[V]{entries: []entry[V]{e}, owner: t.token}
		return n, true
	}
	child, added := t.set(n.children[pos], shift+bitsPerLevel, e)
	n.children[pos] = child
	return n, added
}

// Delete removes key.
func (t *Txn[V]) Delete(key string) {
	if t.root == nil {
		return
	}
	h := maphash.String(seed, key)
	root, removed := t.del(t.root, 0, key, h)
	if removed {
		t.root = root
		t.len--
	}
}

func (t *Txn[V]) del(n *node[V], shift uint, key string, h uint64) (*node[V], bool) {
	if n.children == nil {
		for i := range n.entries {
			if n.entries[i].hash == h && n.entries[i].key == key {
				if len(n.entries) == 1 {
					return nil, true
				}
				n = t.editable(n)
				n.entries = append(n.entries[:i], n.entries[i+1:]...)
				return n, true
			}
		}
		return n, false
	}
	bit := uint32(1) << ((h >> shift) & (fanout - 1))
	if n.bitmap&bit == 0 {
		return n, false
	}
	pos := bits.OnesCount32(n.bitmap & (bit - 1))
	child, removed := t.del(n.children[pos], shift+bitsPerLevel, key, h)
	if !removed {
		return n, false
	}
	n = t.editable(n)
	if child != nil {
		n.children[pos] = child
	} else {
		n.bitmap &^= bit
		n.children = append(n.children[:pos], n.children[pos+1:]...)
	}
	switch {
	case len(n.children) == 0:
		return nil, true
	case len(n.children) == 1 && n.children[0].children == nil:
		return n.children[0], true // a branch over a single leaf collapses into the leaf
	}
	return n, true
}
