package manifest

import "testing"

// FuzzParse feeds any file content to the manifest parser: a bad file must give an error,
// never a panic (the server keeps its last good objects on an error).
func FuzzParse(f *testing.F) {
	f.Add([]byte("apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: shop}\nspec: {clusterIP: 10.96.0.1, ports: [{name: http, port: 80}]}\n---\nkind: Namespace\nmetadata: {name: shop}\n"))
	f.Add([]byte("kind: Service\nmetadata: {name: lb}\nspec: {type: LoadBalancer}\nstatus: {loadBalancer: {ingress: [{ip: 10.0.0.1}, {hostname: x.example}]}}\n"))
	f.Add([]byte("kind: List\nitems:\n- kind: Service\n  metadata: {name: a}\n"))
	f.Add([]byte("apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: v}\nspec: {hosts: 3}\n"))
	f.Add([]byte("kind: EndpointSlice\nmetadata: {name: s, labels: {kubernetes.io/service-name: x}}\nendpoints: [{addresses: [bad]}]\n"))
	f.Add([]byte("apiVersion: externaldns.k8s.io/v1alpha1\nkind: DNSEndpoint\nmetadata: {name: d}\nspec: {endpoints: [{dnsName: 5, recordTTL: 1.5, targets: [x, 3]}, 7]}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		Parse("fuzz.yaml", data)
	})
}
