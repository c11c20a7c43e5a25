package model

import (
	"hash/maphash"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"unique"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Pod is what `pods verified` needs of a core/v1 Pod: its key and its IPs. It lives only
// between the conversion and Pods.Upsert; the index keeps less (see Pods). Labels, phase and
// everything else are dropped: the kubernetes plugin leaves pods that are no longer running
// to its field selector (phase), and so do we (see the kube source).
type Pod struct {
	Meta
	IPs []netip.Addr
	// Deleting is set when the pod has a deletion timestamp: see Pods.Upsert.
	Deleting bool
}

// PodFromAPI converts a Pod. IPs that do not parse are dropped; they are not unmapped, as
// the kubernetes plugin compares them as written (an IPv4-mapped address is not the IPv4
// pod name).
func PodFromAPI(p *corev1.Pod) *Pod {
	out := &Pod{Meta: trimMeta(&p.ObjectMeta), Deleting: p.DeletionTimestamp != nil && !p.DeletionTimestamp.IsZero()}
	// one copy of each namespace name, for the index and the source's keys alike
	out.Namespace = unique.Make(out.Namespace).Value()
	for _, ip := range p.Status.PodIPs {
		if a, err := netip.ParseAddr(ip.IP); err == nil {
			out.IPs = append(out.IPs, a)
		}
	}
	return out
}

// GetObjectKind implements runtime.Object (see the other model types).
func (p *Pod) GetObjectKind() schema.ObjectKind { return schema.EmptyObjectKind }

// DeepCopyObject returns the receiver: model objects are never modified after conversion.
func (p *Pod) DeepCopyObject() runtime.Object { return p }

// PodRef names a pod that has an address.
type PodRef struct{ Namespace, Name string }

// PodSet is the pods that have one address: nearly always one, several for hostNetwork
// pods (their node's address). A value, so that a lookup allocates nothing.
type PodSet struct {
	one  PodRef
	many []PodRef // set when several: sorted by namespace and name
}

// Len returns the number of pods.
func (s PodSet) Len() int {
	switch {
	case s.many != nil:
		return len(s.many)
	case s.one.Name != "":
		return 1
	}
	return 0
}

// At returns the i-th pod, by namespace and name.
func (s PodSet) At(i int) PodRef {
	if s.many != nil {
		return s.many[i]
	}
	return s.one
}

// podShards splits the address index so that an update copies 1/256 of it.
const podShards = 256

// podShard is one immutable part of the address index. Addresses of one pod map to it
// directly, saving a slice and its array per pod (a third of the index's memory).
type podShard struct {
	one  map[netip.Addr]PodRef
	many map[netip.Addr][]PodRef // addresses of several pods
}

// Pods indexes pods by IP, for `pods verified` and for finding a client's pod (autopath,
// metadata). It is read on every such query, so a read takes no lock and allocates nothing:
// each shard is immutable behind an atomic pointer, and a writer replaces it by a modified
// copy. With 20,000 pods a shard holds about 80 addresses, so the copy per pod change is
// small; a single map copied per change would cost 100 µs at 100 changes a second.
// Namespace names are interned (PodFromAPI); per pod we keep its name, its addresses and
// their map slots, about 310 bytes (TestPodsHeap).
//
// Pod changes do not reach the Store's subscribers: no name of the index depends on pods,
// and a pod churn must not delay Service updates.
type Pods struct {
	shards [podShards]atomic.Pointer[podShard]

	mu    sync.Mutex           // writers
	byKey map[Key]netip.Addr   // the address of each single-address pod
	multi map[Key][]netip.Addr // the addresses of the others (dual-stack)
	seed  maphash.Seed
}

func newPods() *Pods {
	return &Pods{byKey: map[Key]netip.Addr{}, multi: map[Key][]netip.Addr{}, seed: maphash.MakeSeed()}
}

func (p *Pods) shard(ip netip.Addr) *atomic.Pointer[podShard] {
	return &p.shards[maphash.Comparable(p.seed, ip)%podShards]
}

// Get returns the pods that have ip.
func (p *Pods) Get(ip netip.Addr) PodSet {
	sh := p.shard(ip).Load()
	if sh == nil {
		return PodSet{}
	}
	if r, ok := sh.one[ip]; ok {
		return PodSet{one: r}
	}
	return PodSet{many: sh.many[ip]}
}

// InNamespace reports whether a pod of namespace ns has ip: the check of the kubernetes
// plugin's findPods with pods verified.
func (p *Pods) InNamespace(ip netip.Addr, ns string) bool {
	s := p.Get(ip)
	for i := range s.Len() {
		if s.At(i).Namespace == ns {
			return true
		}
	}
	return false
}

// Len returns the number of pods with addresses.
func (p *Pods) Len() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.byKey) + len(p.multi)
}

// addrs returns the addresses k is indexed under.
func (p *Pods) addrs(k Key) []netip.Addr {
	if a, ok := p.byKey[k]; ok {
		return []netip.Addr{a}
	}
	return p.multi[k]
}

// Upsert indexes a pod under its IPs, replacing what it had. As the kubernetes plugin, a
// pod being deleted changes nothing: a pod known before keeps its addresses until it is
// gone (it still runs through its grace period), one first seen while deleting is not
// added.
func (p *Pods) Upsert(pod *Pod) {
	p.mu.Lock()
	defer p.mu.Unlock()
	k := Key{pod.Namespace, pod.Name}
	old := p.addrs(k)
	if pod.Deleting || slices.Equal(old, pod.IPs) {
		return
	}
	p.remove(k, old)
	ref := PodRef(k) // the index and byKey share the strings
	switch len(pod.IPs) {
	case 0:
		return
	case 1:
		p.byKey[k] = pod.IPs[0]
	default:
		p.multi[k] = slices.Clip(pod.IPs)
	}
	for _, ip := range pod.IPs {
		p.update(ip, func(refs []PodRef) []PodRef {
			i, found := slices.BinarySearchFunc(refs, ref, comparePodRef)
			if found {
				return refs
			}
			return slices.Insert(refs, i, ref)
		})
	}
}

// Delete removes a pod.
func (p *Pods) Delete(k Key) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.remove(k, p.addrs(k))
}

func (p *Pods) remove(k Key, ips []netip.Addr) {
	delete(p.byKey, k)
	delete(p.multi, k)
	for _, ip := range ips {
		p.update(ip, func(refs []PodRef) []PodRef {
			return slices.DeleteFunc(refs, func(r PodRef) bool { return r.Namespace == k.Namespace && r.Name == k.Name })
		})
	}
}

// update replaces the pods of ip by fn's result (given a copy it may modify) in a copy of
// its shard.
func (p *Pods) update(ip netip.Addr, fn func([]PodRef) []PodRef) {
	ptr := p.shard(ip)
	next := &podShard{one: map[netip.Addr]PodRef{}, many: map[netip.Addr][]PodRef{}}
	var refs []PodRef
	if sh := ptr.Load(); sh != nil {
		next.one = make(map[netip.Addr]PodRef, len(sh.one)+1)
		for a, r := range sh.one {
			next.one[a] = r
		}
		next.many = make(map[netip.Addr][]PodRef, len(sh.many))
		for a, rs := range sh.many {
			next.many[a] = rs
		}
		if r, ok := sh.one[ip]; ok {
			refs = []PodRef{r}
		} else {
			refs = slices.Clone(sh.many[ip])
		}
	}
	delete(next.one, ip)
	delete(next.many, ip)
	switch refs = fn(refs); len(refs) {
	case 0:
	case 1:
		next.one[ip] = refs[0]
	default:
		next.many[ip] = slices.Clip(refs)
	}
	ptr.Store(next)
}

func comparePodRef(a, b PodRef) int {
	if c := strings.Compare(a.Namespace, b.Namespace); c != 0 {
		return c
	}
	return strings.Compare(a.Name, b.Name)
}
