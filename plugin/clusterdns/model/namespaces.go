package model

// Namespaces is a namespace filter, the `namespaces` option of a block or a private zone:
// only objects of these namespaces are served. Empty means every namespace.
type Namespaces map[string]bool

// Allow reports whether objects of namespace ns are served.
func (n Namespaces) Allow(ns string) bool { return len(n) == 0 || n[ns] }
