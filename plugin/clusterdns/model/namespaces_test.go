package model

import "testing"

func TestNamespacesAllow(t *testing.T) {
	var all Namespaces
	if !all.Allow("any") || !(Namespaces{}).Allow("any") {
		t.Error("an empty filter must allow every namespace")
	}
	some := Namespaces{"a": true}
	if !some.Allow("a") || some.Allow("b") {
		t.Errorf("filter %v: Allow(a) %v, Allow(b) %v", some, some.Allow("a"), some.Allow("b"))
	}
}
