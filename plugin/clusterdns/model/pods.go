package model

import (
	"hash/maphash"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

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

// podShards splits the address index so that an update copies 1/256 of it.
const podShards = 256

// Pods indexes pods by IP, for `pods verified` and for finding a client's pod (autopath,
// metadata). It is read on every such query, so a read takes no lock and allocates nothing:
// each shard is an immutable map behind an atomic pointer, which a writer replaces by a
// modified copy. With 20,000 pods a shard holds about 80 addresses, so the copy per pod
// change is small; a single map copied per change would cost 100 µs at 100 changes a second.
//
// Pod changes do not reach the Store's subscribers: no name of the index depends on pods,
// and a pod churn must not delay Service updates.
type Pods struct {
	shards [podShards]atomic.Pointer[map[netip.Addr][]PodRef]

	mu    sync.Mutex           // writers
	byKey map[Key][]netip.Addr // the addresses each pod is indexed under
	ns    map[string]string    // interned namespace names: one copy per namespace
	seed  maphash.Seed
}

func newPods() *Pods {
	return &Pods{byKey: map[Key][]netip.Addr{}, ns: map[string]string{}, seed: maphash.MakeSeed()}
}

func (p *Pods) shard(ip netip.Addr) *atomic.Pointer[map[netip.Addr][]PodRef] {
	return &p.shards[maphash.Comparable(p.seed, ip)%podShards]
}

// Get returns the pods that have ip, sorted by namespace and name. The slice must not be
// modified.
func (p *Pods) Get(ip netip.Addr) []PodRef {
	m := p.shard(ip).Load()
	if m == nil {
		return nil
	}
	return (*m)[ip]
}

// InNamespace reports whether a pod of namespace ns has ip: the check of the kubernetes
// plugin's findPods with pods verified.
func (p *Pods) InNamespace(ip netip.Addr, ns string) bool {
	for _, r := range p.Get(ip) {
		if r.Namespace == ns {
			return true
		}
	}
	return false
}

// Len returns the number of pods with addresses.
func (p *Pods) Len() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.byKey)
}

// Upsert indexes a pod under its IPs, replacing what it had. As the kubernetes plugin, a
// pod being deleted changes nothing: a pod known before keeps its addresses until it is
// gone (it still runs through its grace period), one first seen while deleting is not
// added.
func (p *Pods) Upsert(pod *Pod) {
	p.mu.Lock()
	defer p.mu.Unlock()
	k := Key{pod.Namespace, pod.Name}
	old, known := p.byKey[k]
	if pod.Deleting || slices.Equal(old, pod.IPs) {
		return
	}
	ref := PodRef{Namespace: p.intern(pod.Namespace), Name: pod.Name}
	k = Key(ref) // the index and byKey share the strings
	p.remove(k, old)
	if len(pod.IPs) == 0 {
		if known {
			delete(p.byKey, k)
		}
		return
	}
	p.byKey[k] = slices.Clip(pod.IPs)
	for _, ip := range pod.IPs {
		p.update(ip, func(refs []PodRef) []PodRef {
			i, found := slices.BinarySearchFunc(refs, ref, comparePodRef)
			if found {
				return refs
			}
			return slices.Insert(slices.Clone(refs), i, ref)
		})
	}
}

// Delete removes a pod.
func (p *Pods) Delete(k Key) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if old, ok := p.byKey[k]; ok {
		p.remove(k, old)
		delete(p.byKey, k)
	}
}

func (p *Pods) remove(k Key, ips []netip.Addr) {
	for _, ip := range ips {
		p.update(ip, func(refs []PodRef) []PodRef {
			return slices.DeleteFunc(slices.Clone(refs), func(r PodRef) bool { return r.Namespace == k.Namespace && r.Name == k.Name })
		})
	}
}

// update replaces the pods of ip by fn's result in a copy of its shard.
func (p *Pods) update(ip netip.Addr, fn func([]PodRef) []PodRef) {
	sh := p.shard(ip)
	var next map[netip.Addr][]PodRef
	if m := sh.Load(); m != nil {
		next = make(map[netip.Addr][]PodRef, len(*m)+1)
		for a, refs := range *m {
			next[a] = refs
		}
	} else {
		next = map[netip.Addr][]PodRef{}
	}
	if refs := fn(next[ip]); len(refs) > 0 {
		next[ip] = slices.Clip(refs)
	} else {
		delete(next, ip)
	}
	sh.Store(&next)
}

func (p *Pods) intern(ns string) string {
	if s, ok := p.ns[ns]; ok {
		return s
	}
	s := strings.Clone(ns)
	p.ns[s] = s
	return s
}

func comparePodRef(a, b PodRef) int {
	if c := strings.Compare(a.Namespace, b.Namespace); c != 0 {
		return c
	}
	return strings.Compare(a.Name, b.Name)
}
