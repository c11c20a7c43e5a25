package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer/protobuf"
	"k8s.io/apimachinery/pkg/util/uuid"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
)

// Writing Services straight to etcd, as the API server stores them.
//
// Why: kube-apiserver 1.37 counts every IPAddress of the range after each ClusterIP it
// allocates (ipallocator.Allocator.createIPAddress updates its metrics with Used() and
// Free(), each a List of all IPAddresses through a label selector), so a Service create
// costs time in proportion to the Services already there: 500 creates a second on an empty
// server, 130 at 16,000 on this 2-core machine, and 50,000 Services take tens of minutes,
// three quarters of the API server's CPU in Allocator.Used (pprof of /debug/pprof/profile).
// The bench measures DNS servers, not that loop. A Service and its IPAddress written
// together in one etcd transaction are what the allocator would have left (the API server's
// IPAddress repair loop finds nothing to fix), and the API server's watch cache takes them
// from etcd's watch as it takes its own writes: clients list and watch them as usual.
// EndpointSlices, which have no such cost, still go through the API.

// etcdBatch is the Services per transaction: two puts each, under etcd's default
// --max-txn-ops of 128.
const etcdBatch = 60

// etcdWriter puts objects into etcd through its JSON gateway (/v3/kv/txn), encoded as the
// API server's storage encodes them: protobuf with the "k8s\x00" envelope, under /registry.
type etcdWriter struct {
	url    string
	client *http.Client
	codec  runtime.Encoder
}

func newEtcdWriter(url string) *etcdWriter {
	return &etcdWriter{url: url, client: &http.Client{Timeout: time.Minute},
		codec: protobuf.NewSerializer(scheme.Scheme, scheme.Scheme)}
}

type etcdPut struct {
	Key   []byte `json:"key"` // encoding/json writes []byte as base64, as the gateway wants
	Value []byte `json:"value"`
}

type etcdOp struct {
	RequestPut etcdPut `json:"requestPut"`
}

// createServices writes svcs with their IPAddresses, etcdBatch per transaction. Existing
// keys are overwritten: a rerun with the same -from is idempotent.
func (w *etcdWriter) createServices(ctx context.Context, svcs []service, now time.Time) error {
	for start := 0; start < len(svcs); start += etcdBatch {
		var ops []etcdOp
		for _, s := range svcs[start:min(start+etcdBatch, len(svcs))] {
			svc := storedService(s, now)
			v, err := w.encode(svc)
			if err != nil {
				return err
			}
			ops = append(ops, etcdOp{etcdPut{[]byte("/registry/services/specs/" + s.ns + "/" + s.name), v}})
			if s.headless {
				continue
			}
			if v, err = w.encode(storedIPAddress(svc, now)); err != nil {
				return err
			}
			ops = append(ops, etcdOp{etcdPut{[]byte("/registry/ipaddresses/" + svc.Spec.ClusterIP), v}})
		}
		if err := w.txn(ctx, ops); err != nil {
			return fmt.Errorf("etcd transaction of services %d..: %w", svcs[start].index, err)
		}
	}
	return nil
}

func (w *etcdWriter) encode(obj runtime.Object) ([]byte, error) {
	var b bytes.Buffer
	if err := w.codec.Encode(obj, &b); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func (w *etcdWriter) txn(ctx context.Context, ops []etcdOp) error {
	body, err := json.Marshal(map[string]any{"success": ops})
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.url+"/v3/kv/txn", bytes.NewReader(body))
	if err != nil {
		return err
	}
	resp, err := w.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	reply, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", resp.Status, reply)
	}
	var r struct {
		Succeeded bool `json:"succeeded"`
	}
	if err := json.Unmarshal(reply, &r); err != nil || !r.Succeeded {
		return fmt.Errorf("transaction not applied: %s", reply)
	}
	return nil
}

// storedService is the Service as the API server stores it after a create: defaults set,
// an address of its own, a managedFields entry as a client's create leaves.
func storedService(s service, now time.Time) *corev1.Service {
	svc := serviceObject(s)
	svc.TypeMeta = metav1.TypeMeta{APIVersion: "v1", Kind: "Service"}
	svc.UID = uuid.NewUUID()
	svc.CreationTimestamp = metav1.NewTime(now)
	svc.ManagedFields = []metav1.ManagedFieldsEntry{{Manager: "populate", Operation: metav1.ManagedFieldsOperationUpdate,
		APIVersion: "v1", Time: &svc.CreationTimestamp, FieldsType: "FieldsV1", FieldsV1: metav1.NewFieldsV1(string(fieldsOf(svc)))}}
	svc.Spec.Type = corev1.ServiceTypeClusterIP
	svc.Spec.ClusterIPs = []string{svc.Spec.ClusterIP}
	svc.Spec.SessionAffinity = corev1.ServiceAffinityNone
	svc.Spec.IPFamilies = []corev1.IPFamily{corev1.IPv4Protocol}
	svc.Spec.IPFamilyPolicy = ptr(corev1.IPFamilyPolicySingleStack)
	svc.Spec.InternalTrafficPolicy = ptr(corev1.ServiceInternalTrafficPolicyCluster)
	return svc
}

// fieldsOf is the managedFields set of serviceObject's fields.
func fieldsOf(svc *corev1.Service) []byte {
	ports := map[string]any{".": struct{}{}}
	for _, p := range svc.Spec.Ports {
		ports[fmt.Sprintf(`k:{"port":%d,"protocol":"TCP"}`, p.Port)] = map[string]any{
			".": struct{}{}, "f:name": struct{}{}, "f:port": struct{}{}, "f:protocol": struct{}{}, "f:targetPort": struct{}{}}
	}
	b, _ := json.Marshal(map[string]any{"f:spec": map[string]any{"f:clusterIP": struct{}{}, "f:internalTrafficPolicy": struct{}{},
		"f:ports": ports, "f:selector": struct{}{}, "f:sessionAffinity": struct{}{}, "f:type": struct{}{}}})
	return b
}

// storedIPAddress is the IPAddress the API server's allocator creates for svc's ClusterIP.
func storedIPAddress(svc *corev1.Service, now time.Time) *networkingv1.IPAddress {
	return &networkingv1.IPAddress{
		TypeMeta: metav1.TypeMeta{APIVersion: "networking.k8s.io/v1", Kind: "IPAddress"},
		ObjectMeta: metav1.ObjectMeta{Name: svc.Spec.ClusterIP, UID: uuid.NewUUID(), CreationTimestamp: metav1.NewTime(now),
			Labels: map[string]string{
				networkingv1.LabelIPAddressFamily: string(corev1.IPv4Protocol),
				networkingv1.LabelManagedBy:       "ipallocator.k8s.io",
			}},
		Spec: networkingv1.IPAddressSpec{ParentRef: &networkingv1.ParentReference{Resource: "services", Namespace: svc.Namespace, Name: svc.Name}},
	}
}

// writeToEtcd writes the Services of svcs that do not exist yet straight to etcd, except
// those whose address another Service has (one the latency run created with an address the
// API server picked): it returns those, for a create through the API.
func writeToEtcd(ctx context.Context, url string, cs kubernetes.Interface, svcs []service) (viaAPI []service, err error) {
	existing := map[string]bool{}
	list, err := cs.CoreV1().Services("").List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, err
	}
	for _, svc := range list.Items {
		existing[svc.Namespace+"/"+svc.Name] = true
	}
	taken := map[string]bool{}
	ips, err := cs.NetworkingV1().IPAddresses().List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, err
	}
	for _, ip := range ips.Items {
		taken[ip.Name] = true
	}
	var direct []service
	for _, s := range svcs {
		switch {
		case existing[s.ns+"/"+s.name]:
		case !s.headless && taken[clusterIP(s.index)]:
			viaAPI = append(viaAPI, s)
		default:
			direct = append(direct, s)
		}
	}
	if err := newEtcdWriter(url).createServices(ctx, direct, time.Now()); err != nil {
		return nil, err
	}
	log.Printf("%d services written to etcd, %d already there, %d with a taken address left to the API", len(direct), len(svcs)-len(direct)-len(viaAPI), len(viaAPI))
	return viaAPI, nil
}
