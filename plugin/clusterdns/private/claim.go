package private

import (
	"time"

	"github.com/clusterdns/clusterdns/plugin/clusterdns/model"

	"github.com/miekg/dns"
)

// Owner is the object a record comes from: what claims on one name are weighed by (the
// oldest wins) and what a log line or explain names.
type Owner struct {
	Kind      string // Service, Ingress, VirtualService, HTTPRoute, DNSEndpoint, ServiceEntry, Route, DomainMapping, ...
	Namespace string
	Name      string
	Created   time.Time // metadata.creationTimestamp
}

func (o Owner) String() string { return o.Kind + " " + o.Namespace + "/" + o.Name }

// Audience says which clients a record is for in a zone with `inside`: a load balancer
// address is for peered clients, the ClusterIP behind it for pods.
type Audience uint8

const (
	Everyone Audience = iota
	Outside           // peered clients (and pods when the zone has no `inside`)
	Inside            // pods, only in a zone with `inside`
)

// Claim is one record an object puts at a name.
type Claim struct {
	RR       dns.RR
	Owner    Owner
	Audience Audience
}

// source emits the claims one kind of object makes in a zone; it emits nothing when the
// zone does not ask for that kind. Problems are messages to log once.
type source func(src *Sources, v model.View, emit func(Claim)) (problems []string)
